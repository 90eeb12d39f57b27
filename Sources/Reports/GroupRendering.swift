import Dispatch
import Foundation
import Groups
import JSONOutput
import NeuronData

/// JSON and text renderings of character tables (`irrepscope characters`) and explicit real
/// irreps (`irrepscope irreps`).
public enum GroupRendering {
/// Appends the decimal digits of v.
@inline(__always) static func appendInteger(_ v: Int64, to buf: inout [UInt8]) {
    if v == 0 { buf.append(UInt8(ascii: "0")); return }
    var x = v.magnitude
    if v < 0 { buf.append(UInt8(ascii: "-")) }
    var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
              UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &tmp) { t in
        while x > 0 { t[n] = UInt8(ascii: "0") + UInt8(x % 10); x /= 10; n += 1 }
        for i in stride(from: n - 1, through: 0, by: -1) { buf.append(t[i]) }
    }
}

static func jsonIntArray(_ xs: [Int]) -> String { "[" + xs.map(String.init).joined(separator: ",") + "]" }

static func jsonNumber(_ v: Double) -> String {
    guard v.isFinite else { return "null" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return v.description
}

/// Writes the JSON form of a character table; the values are formatted row by row on all
/// cores and streamed in order (the S_30 table, 5604 × 5604, is ~130 MB of JSON).
/// `identifiedAs`: the named group a group given by data was recognised as (written as
/// "identified_as" after "order"); a class of a Cayley-table group has its row index as
/// representative (docs/groups-from-data.md §3).
public static func writeJSON(_ t: CharacterTable, identifiedAs: String? = nil, _ out: ByteSink) {
    out.write("{\"group\":\(jsonQuoted(t.groupName)),\"order\":\(t.order),")
    if let name = identifiedAs { out.write("\"identified_as\":\(jsonQuoted(name)),") }
    out.write("\"classes\":[")
    for (i, c) in t.classes.enumerated() {
        var s = i > 0 ? "," : ""
        let rep = c.tableElement.map(String.init) ?? jsonIntArray(c.representative)
        s += "{\"label\":\(jsonQuoted(c.label)),\"size\":\(c.size),\"centralizer\":\(c.centralizer),\"representative\":\(rep)"
        if let ct = c.cycleType { s += ",\"cycle_type\":\(jsonIntArray(ct))" }
        out.write(s + "}")
    }
    out.write("],\"irreps\":[")
    for (i, r) in t.irreps.enumerated() {
        var s = i > 0 ? "," : ""
        s += "{\"label\":\(jsonQuoted(r.label)),\"degree\":\(r.degree),\"indicator\":\(r.indicator)"
        if let p = r.partition { s += ",\"partition\":\(jsonIntArray(p))" }
        out.write(s + "}")
    }
    out.write("],\"table\":[")
    let k = t.irrepCount, c = t.classCount
    let batch = 256
    let buffers = UnsafeMutablePointer<[UInt8]>.allocate(capacity: batch)
    buffers.initialize(repeating: [], count: batch)
    defer { buffers.deinitialize(count: batch); buffers.deallocate() }
    let shared = SharedMutablePointer(buffers)
    var start = 0
    while start < k {
        let count = min(batch, k - start)
        let first = start
        DispatchQueue.concurrentPerform(iterations: count) { j in
            let i = first + j
            var buf: [UInt8] = []
            buf.reserveCapacity(c * 8 + 4)
            if i > 0 { buf.append(UInt8(ascii: ",")) }
            buf.append(UInt8(ascii: "["))
            if let iv = t.integerValues {
                iv.withUnsafeBufferPointer { v in
                    let row = v.baseAddress! + i * c
                    for col in 0..<c {
                        if col > 0 { buf.append(UInt8(ascii: ",")) }
                        appendInteger(row[col], to: &buf)
                    }
                }
            } else {
                for col in 0..<c {
                    if col > 0 { buf.append(UInt8(ascii: ",")) }
                    let (re, im) = t.value(i, col)
                    let s = im == 0 ? jsonNumber(re) : "{\"re\":\(jsonNumber(re)),\"im\":\(jsonNumber(im))}"
                    buf.append(contentsOf: Array(s.utf8))
                }
            }
            buf.append(UInt8(ascii: "]"))
            shared.pointer[j] = buf
        }
        for j in 0..<count { out.write(bytes: buffers[j]); buffers[j] = [] }
        start += count
    }
    out.write("]}\n")
}

/// `exact`: cells hold the exact values as GAP prints them ("E(5)+E(5)^4"), as for the
/// groups given by data (docs/groups-from-data.md §3); otherwise decimals with the exact
/// forms listed below the table. `identifiedAs` adds a line naming the recognised group.
public static func writeText(_ t: CharacterTable, exact: Bool = false, identifiedAs: String? = nil, _ out: ByteSink) {
    out.write("\(t.groupName): order \(t.order), \(t.classCount) classes\n")
    if let name = identifiedAs {
        // Labels other than X.1, … were adopted through an explicit isomorphism
        // (GroupIdentification.adoptNamedLabels, docs/groups-from-data.md §4).
        let proven = !(t.irreps.first?.label.hasPrefix("X.") ?? true)
        out.write("identified as \(name) (" + (proven ? "an explicit isomorphism onto \(name); its irrep labels are \(name)'s" : "same class sizes, element orders and character table") + ")\n")
    }
    out.write("\n")
    func cell(_ i: Int, _ c: Int) -> String {
        if let v = t.integerValue(i, c) { return String(v) }
        if exact { return t.exactForm(i, c) }
        let (re, im) = t.value(i, c)
        if im == 0 { return TextFormat.fixed(re, 3) }
        return TextFormat.fixed(re, 3) + (im < 0 ? "-" : "+") + TextFormat.fixed(abs(im), 3) + "i"
    }
    let labelWidth = max(8, (t.irreps.map(\.label.count).max() ?? 0) + 2)
    let k = t.irrepCount, cc = t.classCount
    var widths = t.classes.map { max($0.label.count, $0.size.description.count, $0.centralizer.description.count) + 1 }
    if let iv = t.integerValues {
        // Integer tables (S_30: 5604 × 5604) are padded from digit counts, without Strings.
        for i in 0..<k { for c in 0..<cc {
            let v = iv[i * cc + c]
            var digits = v < 0 ? 2 : 1, x = v.magnitude
            while x >= 10 { x /= 10; digits += 1 }
            if digits + 1 > widths[c] { widths[c] = digits + 1 }
        } }
    } else {
        for c in 0..<cc { for i in 0..<k { widths[c] = max(widths[c], cell(i, c).count + 1) } }
    }
    var line = TextFormat.pad("class", labelWidth)
    for (c, cl) in t.classes.enumerated() { line += TextFormat.pad(cl.label, widths[c]) }
    out.write(line + "\n")
    line = TextFormat.pad("size", labelWidth)
    for (c, cl) in t.classes.enumerated() { line += TextFormat.pad(cl.size.description, widths[c]) }
    out.write(line + "\n")
    line = TextFormat.pad("|C(g)|", labelWidth)
    for (c, cl) in t.classes.enumerated() { line += TextFormat.pad(cl.centralizer.description, widths[c]) }
    out.write(line + "\n\n")
    for i in 0..<k {
        var buf: [UInt8] = Array(TextFormat.pad(t.irreps[i].label, labelWidth).utf8)
        for c in 0..<cc {
            let start = buf.count
            if let v = t.integerValues?[i * cc + c] { appendInteger(v, to: &buf) } else { buf.append(contentsOf: Array(cell(i, c).utf8)) }
            let used = buf.count - start
            if used < widths[c] { buf.append(contentsOf: repeatElement(UInt8(ascii: " "), count: widths[c] - used)) }
        }
        buf.append(contentsOf: Array("  ι=\(t.irreps[i].indicator)\n".utf8))
        out.write(bytes: buf)
    }
    var notes: [String] = []
    if t.integerValues == nil && !exact { for i in 0..<t.irrepCount { for c in 0..<t.classCount {
        let e = t.exactForm(i, c)
        if t.integerValue(i, c) == nil, e.contains("√") || e.contains("E(") { notes.append("\(t.irreps[i].label) on \(t.classes[c].label) = \(e)") }
    } } }
    if !notes.isEmpty && notes.count <= 40 { out.write("\nexact values:\n" + notes.map { "  " + $0 }.joined(separator: "\n") + "\n") }
    out.write("\nι = Frobenius–Schur indicator (1 real, 0 complex, −1 quaternionic); real components: "
              + t.realComponents.map { "\($0.label) (dim \($0.degree))" }.joined(separator: ", ") + "\n")
}


/// Rounds values within 1e-15 of an integer (cos(π/2) and the like) to it.
public static func cleanZero(_ v: Double) -> Double {
    let r = v.rounded()
    return abs(v - r) < 1e-15 ? r + 0 : v
}


    /// The explicit real orthogonal matrices of the chosen real components for the chosen
    /// elements: ρ(gh) = ρ(g)ρ(h) with (gh)(x) = g(h(x)) (docs/theory.md §6).
    public static func writeIrreps(_ g: FiniteGroup, components comps: [Int], elements elems: [Int], elementChoice: String,
                                   json: Bool, _ out: ByteSink) {
        let t = g.characterTable
        if json {
            let j = JSONWriter(sink: out)
            j.beginObject()
            j.field("group", g.name)
            j.field("order", g.order)
            j.field("elements", elementChoice)
            j.field("composition", Composition.rightToLeft.spelling)
            j.key("irreps"); j.beginArray()
            for c in comps {
                let rc = t.realComponents[c]
                j.beginObject()
                j.field("label", rc.label)
                j.field("degree", rc.degree)
                j.field("type", rc.type.rawValue)
                j.key("complex_irreps"); j.beginArray(); for i in rc.irreps { j.value(t.irreps[i].label) }; j.endArray()
                j.key("matrices"); j.beginArray()
                for e in elems {
                    let m = g.realComponentMatrix(c, e)!
                    j.beginObject()
                    j.field("element", e)
                    j.field("label", g.elementLabel(e))
                    j.key("permutation"); j.array(g.permutation(e))
                    j.key("matrix"); j.beginArray()
                    for r in 0..<rc.degree { j.array(Array(m[(r * rc.degree)..<((r + 1) * rc.degree)]).map(cleanZero)) }
                    j.endArray()
                    j.endObject()
                }
                j.endArray()
                j.endObject()
            }
            j.endArray()
            j.endObject()
            out.write("\n")
        } else {
            out.write("\(g.name): order \(g.order); \(elementChoice == "all" ? "all elements" : "generators"); ρ(gh) = ρ(g)ρ(h), (gh)(x) = g(h(x))\n")
            for c in comps {
                let rc = t.realComponents[c]
                out.write("\nirrep \(rc.label)  (real dimension \(rc.degree), \(rc.type.rawValue) type)\n")
                for e in elems {
                    let m = g.realComponentMatrix(c, e)!
                    out.write("  \(g.elementLabel(e))  [element \(e), permutation \(g.permutation(e))]\n")
                    for r in 0..<rc.degree {
                        out.write("    " + (0..<rc.degree).map { TextFormat.pad(TextFormat.fixed(cleanZero(m[r * rc.degree + $0]), 4), 9) }.joined() + "\n")
                    }
                }
            }
        }
    }
}
