import Foundation
import XCTest

/// The documentation's links and section citations resolve.
///
/// * Every relative Markdown link `[text](path)` or `[text](path#anchor)` in `docs/*.md` and
///   `README.md` names an existing file or directory, and an anchor names a heading of the
///   target page (GitHub's heading slugs); links inside code are not links.
/// * Every citation `docs/<page>.md §N` (also `§N–§M`, `§N, §M`) in `docs/*.md`, `README.md`
///   and every file under `Sources/` names an existing page with a heading numbered N
///   (`## N. Title` or `## §N Title`); a bare `docs/<page>.md` names an existing page.
/// * docs/theory.md keeps the numbering §1–§10, so that a citation of the project's theory
///   contract can be rewritten to `docs/theory.md §N` without renumbering.
final class DocsLinkTests: XCTestCase {
    /// The repository root: this file is `<root>/Tests/CLITests/DocsLinkTests.swift`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var checker: DocsChecker {
        DocsChecker(
            exists: { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path) },
            read: { path in
                var isDirectory: ObjCBool = false
                let url = root.appendingPathComponent(path)
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
                      !isDirectory.boolValue else { return nil }
                return try? String(contentsOf: url, encoding: .utf8)
            })
    }

    /// `docs/*.md` and `README.md`, relative to the root.
    static func markdownPages() throws -> [String] {
        let docs = root.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: docs.path)
        return ["README.md"] + names.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    /// Every regular file under `Sources/`, relative to the root.
    static func sourceFiles() -> [String] {
        let sources = root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(atPath: sources.path) else { return [] }
        var out: [String] = []
        while let item = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: sources.appendingPathComponent(item).path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                out.append("Sources/" + item)
            }
        }
        return out.sorted()
    }

    func testTheDocumentationPagesExist() throws {
        let pages = try Self.markdownPages()
        for page in ["docs/README.md", "docs/theory.md", "docs/conventions.md", "docs/margin.md", "docs/networks.md",
                     "docs/formats.md", "docs/attribution.md", "docs/groups-from-data.md"] {
            XCTAssertTrue(pages.contains(page), "\(page) is missing")
        }
    }

    func testRelativeLinksResolve() throws {
        let checker = Self.checker
        var problems: [String] = []
        var checked = 0
        for page in try Self.markdownPages() {
            guard let text = checker.read(page) else { problems.append("\(page): cannot be read"); continue }
            let result = checker.linkProblems(in: page, text: text)
            problems += result.problems
            checked += result.checked
        }
        XCTAssertGreaterThan(checked, 20, "too few links found: is the root \(Self.root.path) right?")
        XCTAssertTrue(problems.isEmpty, "broken links:\n" + problems.joined(separator: "\n"))
    }

    func testSectionCitationsNameExistingSections() throws {
        let checker = Self.checker
        var problems: [String] = []
        var checked = 0
        let files = try Self.markdownPages() + Self.sourceFiles()
        XCTAssertGreaterThan(files.count, 50, "Sources/ not found under \(Self.root.path)")
        for file in files {
            guard let text = checker.read(file) else { continue }   // not UTF-8 text
            let result = checker.citationProblems(in: file, text: text)
            problems += result.problems
            checked += result.checked
        }
        XCTAssertGreaterThan(checked, 0, "no docs/<page>.md §N citation found")
        XCTAssertTrue(problems.isEmpty, "citations that do not resolve:\n" + problems.joined(separator: "\n"))
    }

    func testTheoryKeepsTheContractsSectionNumbers() throws {
        let theory = try XCTUnwrap(Self.checker.read("docs/theory.md"))
        let sections = DocsChecker.sectionNumbers(theory)
        for n in 1...10 { XCTAssertTrue(sections.contains(n), "docs/theory.md has no section \(n)") }
    }

    /// The checker finds what it should on pages made up for the purpose.
    func testTheCheckerReportsBrokenLinksAndCitations() {
        let pages = [
            "docs/a.md": """
                # A
                ## 1. First
                ### 1.1 Detail
                ## §2 Second
                See [b](b.md), [b's section](b.md#3-third-γ), [here](#1-first), [detail](#11-detail),
                [the web](https://example.org), [root](../README.md), `[not a link](nowhere.md)`.
                Broken: [gone](missing.md), [bad anchor](b.md#9-nine), [self](#no-such-heading).
                ```
                [in a code block](also-nowhere.md)
                ```
                Cited: docs/b.md §3, docs/a.md §1–§2, docs/a.md §1, §2; wrong: docs/b.md §4, docs/c.md §1,
                docs/a.md §1–§3, docs/a.md §1.
                """,
            "docs/b.md": "# B\n\n## 3. Third γ*\n",
            "README.md": "[docs](docs/a.md#2-second)\n",
        ]
        let checker = DocsChecker(exists: { pages[$0] != nil || $0 == "docs" }, read: { pages[$0] })
        let links = checker.linkProblems(in: "docs/a.md", text: pages["docs/a.md"]!)
        XCTAssertEqual(links.checked, 8)
        XCTAssertEqual(links.problems.count, 3, links.problems.joined(separator: "\n"))
        XCTAssertTrue(links.problems.contains { $0.contains("missing.md") })
        XCTAssertTrue(links.problems.contains { $0.contains("#9-nine") })
        XCTAssertTrue(links.problems.contains { $0.contains("#no-such-heading") })
        XCTAssertTrue(checker.linkProblems(in: "README.md", text: pages["README.md"]!).problems.isEmpty)

        let citations = checker.citationProblems(in: "docs/a.md", text: pages["docs/a.md"]!)
        XCTAssertEqual(citations.problems.count, 3, citations.problems.joined(separator: "\n"))
        XCTAssertTrue(citations.problems.contains { $0.contains("docs/b.md §4") })
        XCTAssertTrue(citations.problems.contains { $0.contains("docs/c.md") })
        XCTAssertTrue(citations.problems.contains { $0.contains("docs/a.md §3") })
        XCTAssertTrue(checker.citationProblems(in: "x.swift", text: "/// see mydocs/a.md §9 and docs/a.md §2.").problems.isEmpty)
        XCTAssertEqual(DocsChecker.sectionNumbers(pages["docs/a.md"]!), [1, 2])
        XCTAssertEqual(DocsChecker.slug("3. The theoretical maxima γ*"), "3-the-theoretical-maxima-γ")
        XCTAssertEqual(DocsChecker.slug("4. Giving your trainer's element order"), "4-giving-your-trainers-element-order")
    }
}

/// Link and citation checks over Markdown and source text; files are reached through
/// `exists` and `read`, with paths relative to the repository root.
struct DocsChecker {
    /// Whether a file or directory exists at a root-relative path.
    let exists: (String) -> Bool
    /// A text file's contents (nil when it is missing, a directory, or not UTF-8).
    let read: (String) -> String?

    typealias Result = (problems: [String], checked: Int)

    // `[text](target)` or `[text](target "title")`.
    static let linkPattern = try! NSRegularExpression(pattern: #"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#)
    // `docs/<page>.md`, then optionally §N with ranges (§N–§M) and lists (§N, §M).
    static let citationPattern = try! NSRegularExpression(
        pattern: #"(?<![A-Za-z0-9_.\-])docs/([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*\.md)(\s*§\s*\d+(?:\s*[–—\-]\s*§?\s*\d+|\s*,\s*§\s*\d+|\s+and\s+§\s*\d+)*)?"#)
    static let numberPattern = try! NSRegularExpression(pattern: #"([–—\-])?\s*§?\s*(\d+)"#)
    static let headingPattern = try! NSRegularExpression(pattern: #"^#{1,6}\s+(.*?)\s*#*\s*$"#)
    static let numberedHeadingPattern = try! NSRegularExpression(pattern: #"^#{1,6}\s+§?\s*(\d+)\.?(?:\s|$)"#)

    /// Lines outside fenced code blocks, with their 1-based numbers.
    static func proseLines(_ text: String) -> [(number: Int, line: String)] {
        var out: [(Int, String)] = []
        var fence: String? = nil
        for (i, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let f = fence {
                if trimmed.hasPrefix(f) { fence = nil }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = String(trimmed.prefix(3))
                continue
            }
            out.append((i + 1, line))
        }
        return out
    }

    /// The line with its inline code spans blanked out.
    static func withoutCodeSpans(_ line: String) -> String {
        var out = "", inCode = false
        for ch in line {
            if ch == "`" { inCode.toggle(); out.append(" "); continue }
            out.append(inCode ? " " : ch)
        }
        return out
    }

    static func matches(_ re: NSRegularExpression, _ s: String) -> [NSTextCheckingResult] {
        re.matches(in: s, range: NSRange(s.startIndex..., in: s))
    }

    static func group(_ m: NSTextCheckingResult, _ i: Int, _ s: String) -> String? {
        guard let r = Range(m.range(at: i), in: s) else { return nil }
        return String(s[r])
    }

    /// GitHub's anchor for a heading: lower case, punctuation dropped (letters, digits, `-` and
    /// `_` kept), spaces turned into `-`.
    static func slug(_ heading: String) -> String {
        var s = ""
        for ch in heading.lowercased() {
            if ch == " " { s.append("-") } else if ch.isLetter || ch.isNumber || ch == "-" || ch == "_" { s.append(ch) }
        }
        return s
    }

    /// The anchors of a Markdown page, repeated headings numbered as GitHub does (`x`, `x-1`, …).
    static func anchors(_ text: String) -> Set<String> {
        var seen: [String: Int] = [:]
        var out = Set<String>()
        for (_, line) in proseLines(text) {
            guard let m = matches(headingPattern, line).first, let title = group(m, 1, line) else { continue }
            let base = slug(title)
            let k = seen[base, default: 0]
            seen[base] = k + 1
            out.insert(k == 0 ? base : "\(base)-\(k)")
        }
        return out
    }

    /// The section numbers of a page: headings `## N. Title` or `## §N Title` (not `### N.M`).
    static func sectionNumbers(_ text: String) -> Set<Int> {
        var out = Set<Int>()
        for (_, line) in proseLines(text) {
            if let m = matches(numberedHeadingPattern, line).first, let n = group(m, 1, line).flatMap({ Int($0) }) {
                out.insert(n)
            }
        }
        return out
    }

    /// `base`'s directory joined with `relative`, with `.` and `..` resolved; nil above the root.
    static func resolve(_ relative: String, from file: String) -> String? {
        var parts: [String] = relative.hasPrefix("/") ? [] : file.split(separator: "/").dropLast().map(String.init)
        for component in relative.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if parts.isEmpty { return nil } else { parts.removeLast() }
            default: parts.append(String(component))
            }
        }
        return parts.joined(separator: "/")
    }

    func linkProblems(in file: String, text: String) -> Result {
        var problems: [String] = []
        var checked = 0
        for (number, raw) in Self.proseLines(text) {
            let line = Self.withoutCodeSpans(raw)
            for m in Self.matches(Self.linkPattern, line) {
                guard let target = Self.group(m, 1, line) else { continue }
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                checked += 1
                let hash = target.firstIndex(of: "#")
                let path = String(target[..<(hash ?? target.endIndex)]).removingPercentEncoding ?? ""
                let anchor = hash.map { String(target[target.index(after: $0)...]) }
                let resolved = path.isEmpty ? file : Self.resolve(path, from: file)
                guard let resolved, resolved.isEmpty || exists(resolved) else {
                    problems.append("\(file):\(number): link to \(target): no such file")
                    continue
                }
                if let anchor, !anchor.isEmpty {
                    guard resolved.hasSuffix(".md"), let page = read(resolved) else {
                        problems.append("\(file):\(number): link to \(target): anchors are checked only on Markdown pages")
                        continue
                    }
                    let wanted = anchor.removingPercentEncoding ?? anchor
                    if !Self.anchors(page).contains(wanted) {
                        problems.append("\(file):\(number): link to \(target): \(resolved) has no heading with anchor #\(wanted)")
                    }
                }
            }
        }
        return (problems, checked)
    }

    func citationProblems(in file: String, text: String) -> Result {
        var problems: [String] = []
        var checked = 0
        var sections: [String: Set<Int>] = [:]
        for (i, line) in text.components(separatedBy: "\n").enumerated() {
            for m in Self.matches(Self.citationPattern, line) {
                guard let name = Self.group(m, 1, line) else { continue }
                let page = "docs/" + name
                checked += 1
                guard let pageText = read(page) else {
                    problems.append("\(file):\(i + 1): \(page) does not exist")
                    continue
                }
                guard let numbers = Self.group(m, 2, line) else { continue }
                if sections[page] == nil { sections[page] = Self.sectionNumbers(pageText) }
                // §N, §N–§M (every section in the range), §N, §M.
                var cited: [Int] = []
                for n in Self.matches(Self.numberPattern, numbers) {
                    guard let value = Self.group(n, 2, numbers).flatMap({ Int($0) }) else { continue }
                    if Self.group(n, 1, numbers) != nil, let from = cited.last, from < value {
                        cited += Array((from + 1)...value)
                    } else {
                        cited.append(value)
                    }
                }
                for n in cited where !sections[page]!.contains(n) {
                    problems.append("\(file):\(i + 1): \(page) §\(n): the page has no section \(n)")
                }
            }
        }
        return (problems, checked)
    }
}
