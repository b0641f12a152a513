import VideoIO
import XCTest
@testable import Reporting

/// Maps drawn back on the original frame through the inverse crop + resize.
final class MapProjectionTests: XCTestCase {
    func testPixelsOutsideTheCropGetNoSaliency() throws {
        // 20x10 frame, crop 2 rows top, 3 bottom, 4 columns left; resize the 16x5 crop to 8x5.
        let geometry = try Preprocess(crop: CropInsets(top: 2, bottom: 3, left: 4), size: PixelSize(width: 8, height: 5))
            .geometry(for: PixelSize(width: 20, height: 10))
        let frameMap = MapProjection(geometry: geometry).toFrame([Float](repeating: 1, count: 40))
        for y in 0..<10 {
            for x in 0..<20 {
                let inside = y >= 2 && y < 7 && x >= 4
                XCTAssertEqual(frameMap[y * 20 + x], inside ? 1 : 0, "(\(x), \(y))")
            }
        }
    }

    func testBilinearUpsamplingFollowsTheGeometry() throws {
        // A 2x1 map stretched over a 4x1 frame: centres at 0.5 and 2.5 keep the map values.
        let geometry = try Preprocess(size: PixelSize(width: 2, height: 1)).geometry(for: PixelSize(width: 4, height: 1))
        let frameMap = MapProjection(geometry: geometry).toFrame([0, 1])
        XCTAssertEqual(frameMap, [0, 0.25, 0.75, 1])
    }

    func testPercentCropsResolveAgainstTheFrame() throws {
        // naokishibuya's drive.py: rows 60..135 of a 160-row frame = 37.5 % top, 15.625 % bottom.
        let preprocess = Preprocess(crop: CropInsets(lengths: .percent(37.5), .percent(15.625), .pixels(0), .pixels(0)),
                                    size: PixelSize(width: 200, height: 66))
        let small = try preprocess.geometry(for: PixelSize(width: 320, height: 160))
        XCTAssertEqual([small.cropY, small.cropSize.height], [60, 75])
        let large = try preprocess.geometry(for: PixelSize(width: 960, height: 540))
        XCTAssertEqual([large.cropY, large.cropSize.height], [203, 253])
    }
}
