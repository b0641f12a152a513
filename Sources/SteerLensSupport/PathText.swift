/// Path arithmetic on text that came from a file (a driving log's image paths, a tub's file names, a
/// pattern), done here instead of with Foundation's `NSString` path methods: those trap on some
/// malformed paths (separators around invalid UTF-8 and NUL bytes — found by fuzzing), and a crafted
/// file must never crash SteerLens. `/` is the only separator; nothing touches the file system.
public enum PathText {
    /// The path without its last component, like POSIX `dirname` but "" for a bare name:
    /// `a/b/c` → `a/b`, `a/b/` → `a`, `/a` → `/`, `a` → "".
    public static func parent(of path: String) -> String {
        let trimmed = trimmingTrailingSeparators(path)
        guard let separator = trimmed.lastIndex(of: "/") else { return "" }
        let head = trimmingTrailingSeparators(String(trimmed[..<separator]))
        return head.isEmpty ? "/" : head
    }

    /// The last component: `a/b/c.png` → `c.png`, `a/b/` → `b`, `/` → `/`.
    public static func lastComponent(of path: String) -> String {
        let trimmed = trimmingTrailingSeparators(path)
        guard let separator = trimmed.lastIndex(of: "/") else { return trimmed }
        let name = trimmed[trimmed.index(after: separator)...]
        return name.isEmpty ? trimmed : String(name)
    }

    /// The extension of a name, without the dot: `c.PNG` → `PNG`, `.hidden` and `noext` → "".
    public static func pathExtension(of name: String) -> String {
        let last = lastComponent(of: name)
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return "" }
        return String(last[last.index(after: dot)...])
    }

    /// `directory/component`, with one separator between them.
    public static func appending(_ component: String, to directory: String) -> String {
        if directory.isEmpty { return component }
        return directory.hasSuffix("/") ? directory + component : directory + "/" + component
    }

    private static func trimmingTrailingSeparators(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.last == "/" { trimmed.removeLast() }
        return String(trimmed)
    }
}
