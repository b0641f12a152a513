import Foundation

/// JUnit XML for CI systems (Jenkins, GitLab, GitHub test reporters): one `<testsuite>` per clip and
/// one `<testcase>` per metric, failing ones with a `<failure>`; the common Ant/Jenkins layout
/// (`Tests/Fixtures/junit/junit.xsd` is the schema the tests validate against).
public enum JUnitReport {
    public static func xml(_ report: ComparisonReport) -> String {
        let stressChecks = report.stress?.checks ?? []
        let total = report.clips.reduce(0) { $0 + $1.checks.count } + stressChecks.count
        let failures = report.clips.reduce(0) { $0 + $1.checks.filter { !$0.passed }.count } + stressChecks.filter { !$0.passed }.count
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#,
                     #"<testsuites name="steerlens" tests="\#(total)" failures="\#(failures)" errors="0">"#]
        for (index, clip) in report.clips.enumerated() {
            let suiteFailures = clip.checks.filter { !$0.passed }.count
            let stem = URL(fileURLWithPath: clip.clip).deletingPathExtension().lastPathComponent
            lines.append(#"  <testsuite name="\#(escape(clip.clip))" id="\#(index)" tests="\#(clip.checks.count)" failures="\#(suiteFailures)" errors="0" skipped="0" time="0">"#)
            lines.append("    <properties>")
            lines.append(#"      <property name="baseline" value="\#(escape(report.baseline))"/>"#)
            lines.append(#"      <property name="candidate" value="\#(escape(report.candidate))"/>"#)
            lines.append(#"      <property name="frames" value="\#(clip.metrics.frames)"/>"#)
            lines.append("    </properties>")
            for check in clip.checks {
                let name = "\(check.name) \(check.comparison) \(format(check.limit))"
                lines.append(#"    <testcase name="\#(escape(name))" classname="steerlens.\#(escape(stem))" time="0">"#)
                if !check.passed {
                    let message = "\(check.name) = \(format(check.value)), limit \(check.comparison) \(format(check.limit))"
                    lines.append(#"      <failure message="\#(escape(message))" type="threshold">\#(escape(message))</failure>"#)
                }
                lines.append("    </testcase>")
            }
            lines.append("  </testsuite>")
        }
        if let stress = report.stress {
            // `compare --stress`: the robustness checks as one more suite.
            let stressFailures = stress.checks.filter { !$0.passed }.count
            lines.append(#"  <testsuite name="\#(escape("stress " + stress.suite))" id="\#(report.clips.count)" tests="\#(stress.checks.count)" failures="\#(stressFailures)" errors="0" skipped="0" time="0">"#)
            lines.append("    <properties>")
            lines.append(#"      <property name="baselineViolationRate" value="\#(format(stress.baselineViolationRate))"/>"#)
            lines.append(#"      <property name="candidateViolationRate" value="\#(format(stress.candidateViolationRate))"/>"#)
            lines.append("    </properties>")
            lines += testCases(stress.checks, classname: "steerlens.stress")
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func testCases(_ checks: [ThresholdCheck], classname: String) -> [String] {
        checks.flatMap { check -> [String] in
            let name = "\(check.name) \(check.comparison) \(format(check.limit))"
            var lines = [#"    <testcase name="\#(escape(name))" classname="\#(escape(classname))" time="0">"#]
            if !check.passed {
                let message = "\(check.name) = \(format(check.value)), limit \(check.comparison) \(format(check.limit))"
                lines.append(#"      <failure message="\#(escape(message))" type="threshold">\#(escape(message))</failure>"#)
            }
            lines.append("    </testcase>")
            return lines
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.4g", value) }

    /// XML text/attribute escaping (also strips characters XML 1.0 forbids).
    static func escape(_ text: String) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&apos;"
            case "\t", "\n", "\r": output.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF { output.unicodeScalars.append(scalar) }
            }
        }
        return output
    }
}
