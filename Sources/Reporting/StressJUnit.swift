import Foundation

/// JUnit XML for a stress run: one test case per threshold, one per setting (failing when the setting
/// exceeds `maxSettingViolationRate`, else informative).
public enum StressJUnit {
    public static func xml(_ report: StressReport) -> String {
        let settingLimit = report.thresholds.maxSettingViolationRate
        let settingFailures = settingLimit.map { limit in report.settings.filter { $0.transform != "flip" && $0.violationRate > limit }.count } ?? 0
        let failures = report.checks.filter { !$0.passed }.count + settingFailures
        let total = report.checks.count + report.settings.count
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#,
                     #"<testsuites name="steerlens-stress" tests="\#(total)" failures="\#(failures)" errors="0">"#,
                     #"  <testsuite name="\#(escape(report.suite))" id="0" tests="\#(total)" failures="\#(failures)" errors="0" skipped="0" time="\#(String(format: "%.3f", report.elapsedSeconds))">"#,
                     "    <properties>", #"      <property name="model" value="\#(escape(report.model))"/>"#, "    </properties>"]
        for check in report.checks {
            lines.append(#"    <testcase name="\#(escape("\(check.name) \(check.comparison) \(format(check.limit))"))" classname="steerlens.stress" time="0">"#)
            if !check.passed {
                let message = "\(check.name) = \(format(check.value)), limit \(check.comparison) \(format(check.limit))"
                lines.append(#"      <failure message="\#(escape(message))" type="threshold">\#(escape(message))</failure>"#)
            }
            lines.append("    </testcase>")
        }
        for setting in report.settings {
            lines.append(#"    <testcase name="\#(escape(setting.specification))" classname="steerlens.stress.\#(escape(setting.transform))" time="0">"#)
            if let settingLimit, setting.transform != "flip", setting.violationRate > settingLimit {
                let message = "violation rate \(format(setting.violationRate)) (\(setting.violations) of \(setting.frames) frames), limit ≤ \(format(settingLimit))"
                lines.append(#"      <failure message="\#(escape(message))" type="threshold">\#(escape(message))</failure>"#)
            } else {
                lines.append(#"      <system-out>\#(escape("violation rate \(format(setting.violationRate)) (\(setting.violations) of \(setting.frames) frames)"))</system-out>"#)
            }
            lines.append("    </testcase>")
        }
        lines.append("  </testsuite>")
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ value: Double) -> String { String(format: "%.4g", value) }
    static func escape(_ text: String) -> String { StressPage.escape(text) }
}
