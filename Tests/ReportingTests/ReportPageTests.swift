import Foundation
import TestSupport
import XCTest
import Saliency
@testable import Reporting

/// The HTML page: well-formed structure, every untrusted value escaped, embedded data parseable.
final class ReportPageTests: XCTestCase {
    func report(clip: String, model: String = "model.h5", labels: Bool = true) -> RunReport {
        let frames = (0..<30).map { index -> RunReport.FrameEntry in
            let prediction = sin(Double(index) / 5) * 0.4
            let statistics = MapStatistics(upper: 0.2, middle: 0.3, lower: 0.5, left: 0.4, right: 0.6)
            return RunReport.FrameEntry(frame: index, time: Double(index) / 30, prediction: prediction, label: labels ? prediction + 0.01 * Double(index % 3) : nil,
                                        regionShares: ["increase": statistics, "decrease": statistics], saliencyChange: index == 0 ? nil : Double(index % 7) / 10,
                                        hasImages: index % 2 == 0)
        }
        return RunReport(
            steerlensVersion: "test", elapsedSeconds: 1.5,
            clip: .init(path: clip, container: "mov,mp4", codec: "h264", width: 320, height: 160, framesPerSecond: 30, duration: 1, declaredFrames: 30, decodeErrors: 0, readErrors: 0),
            model: .init(file: model, format: "Keras 2", kerasVersion: "2.2.4 <b>", backend: "tensorflow", parameters: 10, inputShape: [66, 200, 3],
                         output: "dense_4", unit: 0, layers: [.init(name: "conv<1>", className: "Conv2D", outputShape: [31, 98, 24], parameters: 1824)],
                         lambdas: ["lambda_1 = x*0.5 (from bytecode: \"</script><script>alert(1)</script>\")"], sidecar: nil),
            settings: .init(objective: "output dense_4, unit 0", maps: ["increase (default)", "decrease (negate)"], backpropModifier: nil, keepChannels: false,
                            preprocessing: .init(crop: ["60", "25", "0", "0"], cropRectangle: [0, 60, 320, 75], resize: "200x66", interpolation: "area", color: "yuv"),
                            colormap: "jet", alpha: 0.3, maintainScale: "percentile", pngEvery: 2, pngWidth: nil, batchSize: 32, labels: "labels.csv", explanation: nil),
            frames: frames, mapNames: ["increase", "decrease"])
    }

    func testPageIsWellFormedAndComplete() throws {
        let html = try ReportPage.render(report(clip: "drive.mp4"), kinds: ["increase", "decrease"])
        let structure = HTMLStructure(html)
        XCTAssertEqual(structure.problems, [])
        for id in ["timeline", "viewer-section", "review-section", "statistics-section", "model-section", "steerlens-data", "frame-info"] {
            XCTAssertTrue(structure.hasElement(id: id), "missing #\(id)")
        }
        XCTAssertEqual(structure.all("polyline").count, 2, "prediction and label lines")
        XCTAssertEqual(structure.all("img").filter { $0.attributes.contains("view-map") }.count, 2, "one viewer image per map")
        // Four review lists of up to 8 thumbnails, only frames with images.
        let thumbnails = structure.all("div").filter { $0.attributes.contains("class=\"thumb\"") }
        XCTAssertEqual(thumbnails.count, 4 * 8)
        XCTAssertTrue(html.contains("increase/000028.png") || html.contains("increase/000000.png"))
        XCTAssertFalse(html.contains("http://") || html.contains("https://"), "self-contained: no network")
        XCTAssertTrue(structure.hasElement(id: "region-definition"), "the page states how region shares are defined")
        XCTAssertFalse(structure.hasElement(id: "faithfulness-section"), "no faithfulness section without scores")
    }

    /// A run.json written before region shares replaced the display-map `maps`/`massShares` still decodes
    /// (`check` reads recorded runs), with no region shares.
    func testOlderRunJSONStillDecodes() throws {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(report(clip: "a.mp4"))) as? [String: Any])
        var frames = try XCTUnwrap(object["frames"] as? [[String: Any]])
        for index in frames.indices { frames[index]["maps"] = frames[index].removeValue(forKey: "regionShares") }
        var summary = try XCTUnwrap(object["summary"] as? [String: Any])
        summary["massShares"] = summary.removeValue(forKey: "regionShares")
        (object["frames"], object["summary"]) = (frames, summary)
        let old = try JSONDecoder().decode(RunReport.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(old.frames.count, 30)
        XCTAssertNil(old.frames[0].regionShares)
        XCTAssertNil(old.summary.regionShares)
        XCTAssertEqual(HTMLStructure(try ReportPage.render(old, kinds: ["increase"])).problems, [])
    }

    /// The faithfulness table and curves: one row per map plus the random ranking, the lowest deletion
    /// area starred, two plots with one line per map and one for random, names escaped.
    func testFaithfulnessSection() throws {
        var run = report(clip: "a.mp4")
        var accumulator = FaithfulnessAccumulator()
        let falling = (0...20).map { 1 - Double($0) / 20 }, rising = (0...20).map { Double($0) / 20 }
        accumulator.add(maps: ["increase": (falling.map { $0 * $0 }, rising), "<b>x</b>": (falling, rising.map { $0 * $0 })], random: (falling, rising))
        accumulator.add(maps: ["increase": (falling.map { $0 * $0 }, rising), "<b>x</b>": nil], random: (falling, rising))
        run.summary.faithfulness = accumulator.summary(every: 5, baseline: "black", mapNames: ["increase", "<b>x</b>"])
        let faithfulness = try XCTUnwrap(run.summary.faithfulness)
        XCTAssertEqual(faithfulness.framesScored, 2)
        XCTAssertEqual(faithfulness.maps["increase"]?.frames, 2)
        XCTAssertEqual(faithfulness.maps["<b>x</b>"]?.frames, 1, "an undefined frame is left out")
        XCTAssertEqual(faithfulness.maps["increase"]?.meanDeletion ?? 0, Faithfulness.area(falling.map { $0 * $0 }), accuracy: 1e-12)
        XCTAssertEqual(faithfulness.random.meanDeletion ?? 0, 0.5, accuracy: 1e-12)
        XCTAssertEqual(faithfulness.maps["increase"]?.beatsRandom, 2)
        XCTAssertEqual(faithfulness.maps["<b>x</b>"]?.beatsRandom, 0)
        let html = try ReportPage.render(run, kinds: ["increase", "decrease"])
        let structure = HTMLStructure(html)
        XCTAssertEqual(structure.problems, [])
        XCTAssertTrue(structure.hasElement(id: "faithfulness-section"))
        XCTAssertFalse(html.contains("<b>x</b>"))
        XCTAssertEqual(structure.all("polyline").count, 2 + 2 * 3)
        XCTAssertTrue(html.contains("<td>increase ★</td>"), "the most faithful map by deletion is starred")
    }

    func testHostileNamesAreEscapedEverywhere() throws {
        let hostile = "<img src=x onerror=alert(1)>.mp4"
        let html = try ReportPage.render(report(clip: "/clips/" + hostile, model: "\"><script>alert(2)</script>.h5"), kinds: ["increase"])
        XCTAssertFalse(html.contains("<img src=x onerror=alert(1)>"))
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;.mp4"))
        XCTAssertFalse(html.contains("<script>alert(2)</script>"))
        XCTAssertFalse(html.contains("</script><script>alert(1)"))
        XCTAssertFalse(html.contains("2.2.4 <b>"), "metadata from the model file is escaped too")
        XCTAssertTrue(html.contains("2.2.4 &lt;b&gt;"))
        XCTAssertTrue(html.contains("conv&lt;1&gt;"))
        XCTAssertEqual(HTMLStructure(html).all("script").count, 2, "only the data block and the page script")
        XCTAssertEqual(HTMLStructure(html).problems, [])
    }

    func testEmbeddedDataParses() throws {
        let html = try ReportPage.render(report(clip: "a.mp4"), kinds: ["increase"])
        let start = try XCTUnwrap(html.range(of: "<script type=\"application/json\" id=\"steerlens-data\">"))
        let end = try XCTUnwrap(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        struct Data: Decodable { struct Entry: Decodable { let frame: Int; let hasImages: Bool }; let kinds: [String]; let frames: [Entry] }
        let data = try JSONDecoder().decode(Data.self, from: Foundation.Data(html[start.upperBound..<end.lowerBound].utf8))
        XCTAssertEqual(data.frames.count, 30)
        XCTAssertEqual(data.frames.filter(\.hasImages).count, 15)
        XCTAssertEqual(data.kinds, ["increase"])
    }

    func testSummaryStatistics() {
        let summary = report(clip: "a.mp4").summary
        XCTAssertEqual(summary.frames, 30)
        XCTAssertEqual(summary.labelledFrames, 30)
        // Errors are −0.00, −0.01, −0.02 repeating: MAE 0.01, RMSE sqrt((0 + 1e-4 + 4e-4)/3), max 0.02.
        XCTAssertEqual(summary.meanAbsoluteError!, 0.01, accuracy: 1e-12)
        XCTAssertEqual(summary.rootMeanSquareError!, (5e-4 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(summary.maxAbsoluteError!, 0.02, accuracy: 1e-12)
        XCTAssertEqual(summary.perSecond.map(\.second), [0])
        XCTAssertEqual(summary.regionShares?["increase"]?.lower ?? 0, 0.5, accuracy: 1e-12)
        XCTAssertNil(report(clip: "a.mp4", labels: false).summary.meanAbsoluteError)
    }

    func testPageWithoutImages() throws {
        var unlabelled = report(clip: "a.mp4", labels: false)
        unlabelled.frames = unlabelled.frames.map { var entry = $0; entry.hasImages = false; return entry }
        let html = try ReportPage.render(unlabelled, kinds: [])
        XCTAssertTrue(html.contains("No overlay images were written"))
        XCTAssertFalse(HTMLStructure(html).hasElement(id: "viewer-section"))
        XCTAssertEqual(HTMLStructure(html).all("polyline").count, 1)
        XCTAssertEqual(HTMLStructure(html).problems, [])
    }
}

final class LabelTrackTests: XCTestCase {
    func testFrameTimeAndDrivingLogFormats() throws {
        let byFrame = try LabelTrack.parse("frame,time_s,steering\n0,0.0,0.1\n1,0.033,-0.2\n", path: "a")
        XCTAssertEqual(byFrame.key, .frame)
        XCTAssertEqual(byFrame.steering(frame: 1, time: 9, framesPerSecond: 30), -0.2)
        XCTAssertNil(byFrame.steering(frame: 2, time: 0, framesPerSecond: 30))
        let byTime = try LabelTrack.parse("time_s,steering\n0.0,0.5\n0.5,-0.5\n", path: "b")
        XCTAssertEqual(byTime.steering(frame: 99, time: 0.49, framesPerSecond: 25), -0.5)
        XCTAssertNil(byTime.steering(frame: 0, time: 0.25, framesPerSecond: 25), "no label within half a frame")
        let log = try LabelTrack.parse("IMG/center_1.jpg, IMG/left_1.jpg, IMG/right_1.jpg, 0.25, 0.9, 0, 30.1\nIMG/center_2.jpg, IMG/left_2.jpg, IMG/right_2.jpg, -0.1, 0.9, 0, 30.2\n", path: "c")
        XCTAssertEqual(log.key, .row)
        XCTAssertEqual(log.steering(frame: 1, time: 0, framesPerSecond: 30), -0.1)
    }

    func testInvalidLabelsAreBadInput() {
        XCTAssertThrowsError(try LabelTrack.parse("frame,steering\n0,abc\n", path: "x")) { XCTAssertEqual(($0 as? LabelError)?.kind, .badInput) }
        XCTAssertThrowsError(try LabelTrack.parse("hello\n", path: "x"))
        XCTAssertThrowsError(try LabelTrack.load(URL(fileURLWithPath: "/nonexistent/labels.csv"))) { XCTAssertEqual(($0 as? LabelError)?.kind, .missingInput) }
    }
}
