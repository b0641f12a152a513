import Foundation
import SteerLensSupport

/// A fleet's clip list (`--manifest FILE`): one clip per line, or CSV `clip,labels[,id]`.
///
/// Blank lines and lines starting with `#` are skipped, as is a header line `clip,labels[,id]`.
/// Fields may be double-quoted (`"a,b.mp4"`; `""` inside quotes is one quote). Relative clip and label
/// paths resolve against the manifest's folder, so a manifest travels with its clips. A clip's id names
/// its result folder `OUT/clips/<id>/`: the third field, or else the clip's stem (file name without
/// extension), made unique by appending `-<line>` when two clips share a stem.
public struct FleetManifest: Sendable, Equatable {
    /// One clip of the fleet.
    public struct Entry: Sendable, Equatable, Codable {
        /// 1-based line of the manifest the clip came from.
        public var line: Int
        /// The clip's path, resolved against the manifest's folder.
        public var clip: String
        /// Its labels file (resolved), if the manifest names one.
        public var labels: String?
        /// The result folder's name under `OUT/clips/`.
        public var id: String
    }

    /// The manifest file as given.
    public let path: String
    public let entries: [Entry]

    public init(path: String, entries: [Entry]) { (self.path, self.entries) = (path, entries) }

    /// Reads and checks a manifest: every clip and labels file must exist, ids must be unique and safe.
    /// - Throws: ``FleetManifestError`` naming the line (exit 66 for missing files, 65 for bad content).
    public static func load(_ path: String) throws -> FleetManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FleetManifestError(path: path, line: nil, kind: .missingInput, problem: "cannot be read",
                                     hint: "check the --manifest path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FleetManifestError(path: path, line: nil, kind: .badInput, problem: "is not UTF-8 text", hint: "write one clip path per line")
        }
        return try parse(text, path: path, folder: PathText.parent(of: path), checkFiles: true)
    }

    /// Parses manifest text; `folder` resolves relative paths. With `checkFiles`, missing clips and
    /// labels files are errors.
    public static func parse(_ text: String, path: String, folder: String, checkFiles: Bool) throws -> FleetManifest {
        var entries: [Entry] = [], explicitIDs: [String: Int] = [:]
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        for (offset, rawLine) in lines.enumerated() {
            let number = offset + 1
            func fail(_ kind: FailureKind, _ problem: String, _ hint: String) -> FleetManifestError {
                FleetManifestError(path: path, line: number, kind: kind, problem: problem, hint: hint)
            }
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let fields = splitFields(trimmed) else {
                throw fail(.badInput, "has an unterminated quote", "close the quoted field with \"")
            }
            if entries.isEmpty, fields.first?.lowercased() == "clip", fields.count >= 2 { continue }
            guard fields.count <= 3 else {
                throw fail(.badInput, "has \(fields.count) fields", "write clip or clip,labels[,id]; quote paths that hold commas")
            }
            guard !fields[0].isEmpty else { throw fail(.badInput, "names no clip", "the first field is the clip's path") }
            let clip = resolve(fields[0], folder: folder)
            let labels = fields.count > 1 && !fields[1].isEmpty ? resolve(fields[1], folder: folder) : nil
            if checkFiles {
                guard FileManager.default.fileExists(atPath: clip) || clip.contains("%") else {
                    throw fail(.missingInput, "clip '\(clip)' does not exist", "fix the path; relative paths are read from the manifest's folder")
                }
                if let labels, !FileManager.default.fileExists(atPath: labels) {
                    throw fail(.missingInput, "labels file '\(labels)' does not exist", "fix the path or leave the field empty")
                }
            }
            var id = fields.count > 2 ? fields[2] : ""
            if id.isEmpty {
                id = sanitized(ClipNaming.stem(clip))
            } else {
                guard isSafeID(id) else {
                    throw fail(.badInput, "id '\(id)' is not a safe folder name", "use letters, digits, '.', '_' and '-', not starting with '.'")
                }
                if let previous = explicitIDs[id] { throw fail(.badInput, "id '\(id)' repeats line \(previous)", "give every clip its own id") }
                explicitIDs[id] = number
            }
            entries.append(Entry(line: number, clip: clip, labels: labels, id: id))
        }
        guard !entries.isEmpty else {
            throw FleetManifestError(path: path, line: nil, kind: .badInput, problem: "lists no clip", hint: "write one clip path per line")
        }
        // Derived ids that collide (two drives' front.mp4) get their line number; explicit ones win.
        var counts: [String: Int] = [:]
        for entry in entries { counts[entry.id, default: 0] += 1 }
        for index in entries.indices where counts[entries[index].id]! > 1 && explicitIDs[entries[index].id] != entries[index].line {
            entries[index].id += "-\(entries[index].line)"
        }
        var seen: [String: Int] = [:]
        for entry in entries {
            if let previous = seen[entry.id] {
                throw FleetManifestError(path: path, line: entry.line, kind: .badInput, problem: "id '\(entry.id)' repeats line \(previous)",
                                         hint: "give every clip its own id (third field)")
            }
            seen[entry.id] = entry.line
        }
        return FleetManifest(path: path, entries: entries)
    }

    /// Splits a CSV line into fields; `nil` when a quote is left open.
    static func splitFields(_ line: String) -> [String]? {
        var fields: [String] = [], field = "", quoted = false, wasQuoted = false
        var characters = line.makeIterator()
        var pendingQuote = false
        while let character = characters.next() {
            if quoted {
                if pendingQuote {
                    pendingQuote = false
                    if character == "\"" { field.append("\""); continue }
                    quoted = false
                } else if character == "\"" {
                    pendingQuote = true
                    continue
                } else {
                    field.append(character)
                    continue
                }
            }
            switch character {
            case "\"" where field.isEmpty && !wasQuoted: quoted = true; wasQuoted = true
            case ",": fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces)); field = ""; wasQuoted = false
            default: field.append(character)
            }
        }
        if quoted && !pendingQuote { return nil }
        fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
        return fields
    }

    static func resolve(_ path: String, folder: String) -> String {
        path.hasPrefix("/") || folder.isEmpty || folder == "." ? path : folder + "/" + path
    }

    /// Letters, digits, `.`, `_`, `-`; not starting with `.` (hidden names are the fleet's litter).
    public static func isSafeID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 200 && !id.hasPrefix(".") && id.unicodeScalars.allSatisfy { safeCharacters.contains($0) }
    }

    private static let safeCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")

    static func sanitized(_ stem: String) -> String {
        var id = String(String.UnicodeScalarView(stem.unicodeScalars.map { safeCharacters.contains($0) ? $0 : "_" }))
        while id.hasPrefix(".") { id = "_" + id.dropFirst() }
        return id.isEmpty ? "clip" : String(id.prefix(200))
    }
}

/// A manifest that cannot be used: one line naming the file, the line and what is wrong.
public struct FleetManifestError: SteerLensError {
    public let path: String
    public let line: Int?
    public let kind: FailureKind
    public let problem: String
    public let hint: String
    public var message: String { "manifest '\(path)'" + (line.map { " line \($0)" } ?? "") + " " + problem }
}
