import Foundation

/// A small structural reader for the HTML SteerLens writes: checks that every non-void element is
/// closed in order (script and style contents are raw text), and finds elements by tag and id.
public struct HTMLStructure {
    public struct Element {
        public let tag: String
        public let attributes: String
    }

    public let elements: [Element]
    /// Problems found: unclosed, unexpected or mismatched tags.
    public let problems: [String]

    static let voidTags: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]

    public init(_ html: String) {
        var elements: [Element] = [], problems: [String] = [], stack: [String] = []
        var index = html.startIndex
        while let open = html[index...].firstIndex(of: "<") {
            guard let close = html[open...].firstIndex(of: ">") else { problems.append("unterminated tag at the end"); break }
            let body = html[html.index(after: open)..<close]
            index = html.index(after: close)
            if body.hasPrefix("!") { continue }
            if body.hasPrefix("/") {
                let tag = body.dropFirst().trimmingCharacters(in: .whitespaces).lowercased()
                if stack.last == tag { stack.removeLast() } else { problems.append("</\(tag)> closes <\(stack.last ?? "nothing")>") }
                continue
            }
            let name = String(body.prefix { !$0.isWhitespace && $0 != "/" }).lowercased()
            let attributes = String(body.dropFirst(name.count))
            elements.append(Element(tag: name, attributes: attributes))
            if Self.voidTags.contains(name) || body.hasSuffix("/") { continue }
            if name == "script" || name == "style" {
                // Raw text up to the matching end tag.
                guard let end = html.range(of: "</\(name)>", range: index..<html.endIndex) else { problems.append("<\(name)> never closed"); break }
                index = end.upperBound
                continue
            }
            stack.append(name)
        }
        problems += stack.map { "<\($0)> never closed" }
        self.elements = elements
        self.problems = problems
    }

    /// Elements with this tag.
    public func all(_ tag: String) -> [Element] { elements.filter { $0.tag == tag } }

    /// Whether an element carries `id="<id>"`.
    public func hasElement(id: String) -> Bool { elements.contains { $0.attributes.contains("id=\"\(id)\"") } }
}

/// The width and height stored in a PNG's IHDR chunk.
public func pngDimensions(_ url: URL) throws -> (width: Int, height: Int) {
    let bytes = [UInt8](try Data(contentsOf: url).prefix(24))
    guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { throw CommandFailure(command: url.path, output: "not a PNG") }
    func big(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (big(16), big(20))
}
