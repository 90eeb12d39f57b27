import Foundation

/// A report: a title, a table of headline numbers, and figures (each an SVG with a caption).
/// Renders to a self-contained HTML page (inline SVG, inline CSS, no scripts, no network)
/// and to Markdown that links the SVG files written next to it.
public struct Report: Sendable {
    public struct Figure: Sendable {
        /// File name stem, also the SVG element id.
        public var id: String
        public var caption: String
        public var svg: String
        public init(id: String, caption: String, svg: String) { self.id = id; self.caption = caption; self.svg = svg }
    }

    public var title: String
    public var subtitle: String
    /// Label → value rows of the summary table.
    public var summary: [(String, String)]
    public var notes: [String]
    public var figures: [Figure]

    public init(title: String, subtitle: String = "", summary: [(String, String)] = [], notes: [String] = [],
                figures: [Figure] = []) {
        self.title = title; self.subtitle = subtitle; self.summary = summary; self.notes = notes; self.figures = figures
    }

    static func esc(_ s: String) -> String { SVGPlot.esc(s) }

    public func html() -> String {
        var s = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Report.esc(title))</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1340px; color: #222; padding: 0 1em; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; }
        .subtitle { color: #555; margin-top: 0; }
        table.summary { border-collapse: collapse; margin: 1em 0; }
        table.summary td { border-bottom: 1px solid #ddd; padding: 4px 14px 4px 0; vertical-align: top; }
        table.summary td:first-child { color: #555; }
        .figures { display: flex; flex-wrap: wrap; gap: 16px; }
        figure { margin: 0; border: 1px solid #e4e4e4; padding: 8px; }
        figcaption { font-size: 0.9em; color: #444; max-width: 640px; margin-top: 4px; }
        svg.plot { max-width: 100%; height: auto; }
        .note { background: #fff6e5; border-left: 4px solid #d4731c; padding: 6px 10px; margin: 6px 0; }
        @media print { figure { break-inside: avoid; } body { max-width: none; } }
        </style>
        </head>
        <body>
        <h1>\(Report.esc(title))</h1>
        <p class="subtitle">\(Report.esc(subtitle))</p>

        """
        if !summary.isEmpty {
            s += "<table class=\"summary\">\n"
            for (k, v) in summary { s += "<tr><td>\(Report.esc(k))</td><td>\(Report.esc(v))</td></tr>\n" }
            s += "</table>\n"
        }
        for n in notes { s += "<p class=\"note\">\(Report.esc(n))</p>\n" }
        s += "<div class=\"figures\">\n"
        for f in figures {
            s += "<figure id=\"fig-\(Report.esc(f.id))\">\n\(f.svg)<figcaption>\(Report.esc(f.caption))</figcaption>\n</figure>\n"
        }
        s += "</div>\n</body>\n</html>\n"
        return s
    }

    public func markdown() -> String {
        var s = "# \(title)\n\n\(subtitle)\n\n"
        if !summary.isEmpty {
            s += "| | |\n|---|---|\n"
            for (k, v) in summary { s += "| \(k) | \(v.replacingOccurrences(of: "|", with: "\\|")) |\n" }
            s += "\n"
        }
        for n in notes { s += "> \(n)\n\n" }
        for f in figures { s += "![\(f.caption)](\(f.id).svg)\n\n*\(f.caption)*\n\n" }
        return s
    }

    /// Writes report.html, report.md and one SVG per figure into `directory`.
    public func write(to directory: String) throws {
        let dir = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(html().utf8).write(to: dir.appendingPathComponent("report.html"))
        try Data(markdown().utf8).write(to: dir.appendingPathComponent("report.md"))
        for f in figures {
            try Data(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + f.svg).utf8).write(to: dir.appendingPathComponent(f.id + ".svg"))
        }
    }
}
