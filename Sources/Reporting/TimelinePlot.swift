import Foundation

/// Coordinates of an inline-SVG line chart over time: `(time, value)` series scaled into a
/// `width × height` box with margins, a symmetric value axis around 0, and tick labels. Values are
/// formatted numbers only, so they are safe to put into the page.
struct TimelinePlot {
    struct Tick { let position: String; let label: String }

    let width = 960, height = 240
    let left = 48.0, top = 12.0
    var right: Double { Double(width) - 12 }
    var bottom: Double { Double(height) - 28 }
    let duration: Double
    let extent: Double

    /// A plot for times up to `duration` and values within ±`extent` (at least ±`minimumExtent`).
    init(duration: Double, extent: Double, minimumExtent: Double = 0.1) {
        self.duration = max(duration, 1e-6)
        self.extent = max(extent, minimumExtent)
    }

    func x(_ time: Double) -> Double { left + (right - left) * time / duration }
    func y(_ value: Double) -> Double { top + (bottom - top) * (1 - (value + extent) / (2 * extent)) }
    static func coordinate(_ value: Double) -> String { String(format: "%.1f", value) }

    /// SVG `points` of a polyline.
    func points(_ series: [(time: Double, value: Double)]) -> String {
        series.map { "\(Self.coordinate(x($0.time))),\(Self.coordinate(y($0.value)))" }.joined(separator: " ")
    }

    var zeroY: String { Self.coordinate(y(0)) }
    var yTicks: [Tick] { [extent, extent / 2, 0, -extent / 2, -extent].map { Tick(position: Self.coordinate(y($0)), label: String(format: "%+.2f", $0)) } }
    var xTicks: [Tick] {
        (0...5).map { step in
            let time = duration * Double(step) / 5
            return Tick(position: Self.coordinate(x(time)), label: String(format: "%.1f s", time))
        }
    }
}
