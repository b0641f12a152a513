import Foundation
import TestSupport
import XCTest

/// The ready-to-use job files: `deploy/k8s/indexed-job.yaml` parses (block YAML, read by the small
/// reader below — CI has no Python or yq) and its wiring matches the README: an Indexed Job whose
/// `--shards` equals its completions, the manifest and OUT on the shared volume, a merge Job on the same
/// claim and OUT. The Slurm file is exercised for real by `Tests/Cluster/slurm.sh`.
final class DeployFilesTests: XCTestCase {
    func testKubernetesIndexedJobWiring() throws {
        let text = try String(contentsOf: TestPaths.repository.appendingPathComponent("deploy/k8s/indexed-job.yaml"), encoding: .utf8)
        let documents = try YAMLSubset.documents(text)
        XCTAssertEqual(documents.map { $0["kind"]?.string }, ["PersistentVolumeClaim", "Job", "Job"])
        let (claim, workers, merge) = (documents[0], documents[1], documents[2])
        XCTAssertEqual(claim["spec"]?["accessModes"]?.list?.compactMap(\.string), ["ReadWriteMany"], "workers on many nodes share the volume")
        let claimName = try XCTUnwrap(claim["metadata"]?["name"]?.string)
        XCTAssertEqual(documents.map { $0["metadata"]?["labels"]?["steerlens/role"]?.string }, ["storage", "workers", "merge"], "README applies them by role")

        XCTAssertEqual(workers["spec"]?["completionMode"]?.string, "Indexed")
        let completions = try XCTUnwrap(workers["spec"]?["completions"]?.string)
        let container = try XCTUnwrap(workers["spec"]?["template"]?["spec"]?["containers"]?.list?.first)
        let arguments = try XCTUnwrap(container["args"]?.list?.compactMap(\.string))
        func value(_ flag: String, in arguments: [String]) -> String? {
            arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        XCTAssertEqual(value("--shards", in: arguments), completions, "--shards must equal the Job's completions")
        let environment = container["env"]?.list ?? []
        let index = environment.first { $0["name"]?.string == "JOB_COMPLETION_INDEX" }
        XCTAssertEqual(index?["valueFrom"]?["fieldRef"]?["fieldPath"]?.string, "metadata.annotations['batch.kubernetes.io/job-completion-index']")
        let mount = try XCTUnwrap(container["volumeMounts"]?.list?.first)
        let mountPath = try XCTUnwrap(mount["mountPath"]?.string)
        for flag in ["--manifest", "--out", "--model"] {
            XCTAssertTrue(value(flag, in: arguments)?.hasPrefix(mountPath + "/") ?? false, "\(flag) lies on the shared volume")
        }
        let volume = workers["spec"]?["template"]?["spec"]?["volumes"]?.list?.first { $0["name"]?.string == mount["name"]?.string }
        XCTAssertEqual(volume?["persistentVolumeClaim"]?["claimName"]?.string, claimName)

        let mergeContainer = try XCTUnwrap(merge["spec"]?["template"]?["spec"]?["containers"]?.list?.first)
        let mergeArguments = try XCTUnwrap(mergeContainer["args"]?.list?.compactMap(\.string))
        XCTAssertEqual(mergeArguments.prefix(2), ["merge", value("--out", in: arguments)!], "merge reads the workers' OUT")
        let mergeMount = try XCTUnwrap(mergeContainer["volumeMounts"]?.list?.first)
        XCTAssertEqual(mergeMount["mountPath"]?.string, mountPath)
        let mergeVolume = merge["spec"]?["template"]?["spec"]?["volumes"]?.list?.first { $0["name"]?.string == mergeMount["name"]?.string }
        XCTAssertEqual(mergeVolume?["persistentVolumeClaim"]?["claimName"]?.string, claimName)
    }

    func testTheYAMLReaderRejectsWhatItCannotRead() {
        XCTAssertThrowsError(try YAMLSubset.documents("a: 1\n  b: 2\n"), "a stray indented line")
        XCTAssertThrowsError(try YAMLSubset.documents("a: {b: 1}\n"), "flow mappings are not in the subset")
        XCTAssertEqual(try YAMLSubset.documents("a:\n  - x\n  - y: \"1\"\n    z: w\n").first?["a"]?.list?.last?["z"]?.string, "w")
    }
}

/// Block YAML as Kubernetes manifests are written: mappings, `- ` sequences, plain or quoted scalars,
/// `#` comment lines and `---` between documents. Anything else is an error, never a guess.
enum YAMLSubset {
    indirect enum Node {
        case map([(String, Node)])
        case list([Node])
        case scalar(String)

        subscript(key: String) -> Node? {
            if case .map(let entries) = self { return entries.first { $0.0 == key }?.1 }
            return nil
        }
        var list: [Node]? { if case .list(let items) = self { return items }; return nil }
        var string: String? { if case .scalar(let text) = self { return text }; return nil }
    }

    struct SyntaxError: Error { let line: String }

    static func documents(_ text: String) throws -> [Node] {
        var documents: [[(indent: Int, text: String)]] = [[]]
        for line in text.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "---" { documents.append([]); continue }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            documents[documents.count - 1].append((line.prefix { $0 == " " }.count, trimmed))
        }
        return try documents.filter { !$0.isEmpty }.map { lines in
            var reader = Reader(lines: lines)
            let node = try reader.node(indent: 0)
            guard reader.position == lines.count else { throw SyntaxError(line: lines[reader.position].text) }
            return node
        }
    }

    private struct Reader {
        var lines: [(indent: Int, text: String)]
        var position = 0

        mutating func node(indent: Int) throws -> Node {
            let actual = lines[position].indent
            guard actual >= indent else { throw SyntaxError(line: lines[position].text) }
            return lines[position].text.hasPrefix("- ") ? try list(indent: actual) : try map(indent: actual)
        }

        mutating func list(indent: Int) throws -> Node {
            var items: [Node] = []
            while position < lines.count, lines[position].indent == indent, lines[position].text.hasPrefix("- ") {
                let rest = String(lines[position].text.dropFirst(2)).trimmingCharacters(in: .whitespaces)
                if Self.split(rest) != nil {
                    lines[position] = (indent + 2, rest)
                    items.append(try map(indent: indent + 2))
                } else {
                    position += 1
                    items.append(.scalar(try Self.scalar(rest)))
                }
            }
            return .list(items)
        }

        mutating func map(indent: Int) throws -> Node {
            var entries: [(String, Node)] = []
            while position < lines.count, lines[position].indent == indent, !lines[position].text.hasPrefix("- ") {
                guard let (key, value) = Self.split(lines[position].text) else { throw SyntaxError(line: lines[position].text) }
                position += 1
                if !value.isEmpty {
                    entries.append((key, .scalar(try Self.scalar(value))))
                } else if position < lines.count, lines[position].indent > indent {
                    entries.append((key, try node(indent: indent + 1)))
                } else {
                    entries.append((key, .scalar("")))
                }
            }
            if position < lines.count, lines[position].indent > indent { throw SyntaxError(line: lines[position].text) }
            return .map(entries)
        }

        /// `key: value` or `key:`; nil for a plain scalar.
        static func split(_ text: String) -> (String, String)? {
            if text.hasPrefix("\"") || text.hasPrefix("'") { return nil }
            if let range = text.range(of: ": ") {
                return (String(text[..<range.lowerBound]), String(text[range.upperBound...]).trimmingCharacters(in: .whitespaces))
            }
            return text.hasSuffix(":") ? (String(text.dropLast()), "") : nil
        }

        static func scalar(_ text: String) throws -> String {
            if text.hasPrefix("{") || text.hasPrefix("[") || text.hasPrefix("&") || text.hasPrefix("*") || text.hasPrefix("|") || text.hasPrefix(">") {
                throw SyntaxError(line: text)
            }
            for quote in ["\"", "'"] where text.hasPrefix(quote) {
                guard text.count >= 2, text.hasSuffix(quote) else { throw SyntaxError(line: text) }
                return String(text.dropFirst().dropLast())
            }
            return text
        }
    }
}
