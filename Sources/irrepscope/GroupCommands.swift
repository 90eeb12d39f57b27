import ArgumentParser
import Checkpoints
import Dispatch
import Foundation
import Fourier
import Groups
import JSONOutput

// MARK: - characters

struct CharactersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "characters",
        abstract: "Exact character table of a finite group (C_n, D_n, S_n up to n = 35, A_n, products).",
        discussion: """
        GROUP: Cn or Zn (cyclic), Dn (dihedral of ORDER 2n), Sn, An, products such as S3xC2 (THEORY.md §6). \
        Rows are irreps (S_n: partitions, [n] first), columns conjugacy classes (S_n, A_n: cycle types; \
        D_n: r^k, s, sr). JSON: group, order, classes (label, size, centralizer, representative as a 0-based \
        permutation, cycle_type), irreps (label, degree, indicator, partition), table (integers exactly; \
        complex values as {"re", "im"}).
        """
    )

    @Argument(help: "The group, e.g. S5, A5, D59, C71, S3xC2.")
    var group: String

    @Option(help: "Output format: table or json.")
    var format: SummaryFormat = .table

    func validate() throws {
        do { _ = try GroupSpec.parse(group) } catch let e as GroupError { throw ValidationError(e.description) }
    }

    func run() throws {
        let spec = try GroupSpec.parse(group)
        let table = try spec.characterTable()
        let out = ByteSink()
        switch format {
        case .json: writeCharacterTableJSON(table, out)
        case .table: writeCharacterTableText(table, out)
        }
        out.flush()
        if out.failed { throw UsageError("writing the output failed") }
    }
}

/// Appends the decimal digits of v.
@inline(__always) func appendInteger(_ v: Int64, to buf: inout [UInt8]) {
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

func jsonString(_ s: String) -> String {
    var r = "\""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": r += "\\\""
        case "\\": r += "\\\\"
        case "\n": r += "\\n"
        default:
            if ch.value < 0x20 { r += String(format: "\\u%04x", ch.value) } else { r.unicodeScalars.append(ch) }
        }
    }
    return r + "\""
}

func jsonIntArray(_ xs: [Int]) -> String { "[" + xs.map(String.init).joined(separator: ",") + "]" }

func jsonNumber(_ v: Double) -> String {
    guard v.isFinite else { return "null" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return v.description
}

private struct RowBuffers: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<[UInt8]>
}

/// Writes the JSON form of a character table; the values are formatted row by row on all
/// cores and streamed in order (the S_30 table, 5604 × 5604, is ~130 MB of JSON).
func writeCharacterTableJSON(_ t: CharacterTable, _ out: ByteSink) {
    out.write("{\"group\":\(jsonString(t.groupName)),\"order\":\(t.order),\"classes\":[")
    for (i, c) in t.classes.enumerated() {
        var s = i > 0 ? "," : ""
        s += "{\"label\":\(jsonString(c.label)),\"size\":\(c.size),\"centralizer\":\(c.centralizer),\"representative\":\(jsonIntArray(c.representative))"
        if let ct = c.cycleType { s += ",\"cycle_type\":\(jsonIntArray(ct))" }
        out.write(s + "}")
    }
    out.write("],\"irreps\":[")
    for (i, r) in t.irreps.enumerated() {
        var s = i > 0 ? "," : ""
        s += "{\"label\":\(jsonString(r.label)),\"degree\":\(r.degree),\"indicator\":\(r.indicator)"
        if let p = r.partition { s += ",\"partition\":\(jsonIntArray(p))" }
        out.write(s + "}")
    }
    out.write("],\"table\":[")
    let k = t.irrepCount, c = t.classCount
    let batch = 256
    let buffers = UnsafeMutablePointer<[UInt8]>.allocate(capacity: batch)
    buffers.initialize(repeating: [], count: batch)
    defer { buffers.deinitialize(count: batch); buffers.deallocate() }
    let shared = RowBuffers(pointer: buffers)
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

func writeCharacterTableText(_ t: CharacterTable, _ out: ByteSink) {
    out.write("\(t.groupName): order \(t.order), \(t.classCount) classes\n\n")
    func cell(_ i: Int, _ c: Int) -> String {
        if let v = t.integerValue(i, c) { return String(v) }
        let (re, im) = t.value(i, c)
        if im == 0 { return fixed(re, 3) }
        return fixed(re, 3) + (im < 0 ? "-" : "+") + fixed(abs(im), 3) + "i"
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
    var line = pad("class", labelWidth)
    for (c, cl) in t.classes.enumerated() { line += pad(cl.label, widths[c]) }
    out.write(line + "\n")
    line = pad("size", labelWidth)
    for (c, cl) in t.classes.enumerated() { line += pad(cl.size.description, widths[c]) }
    out.write(line + "\n")
    line = pad("|C(g)|", labelWidth)
    for (c, cl) in t.classes.enumerated() { line += pad(cl.centralizer.description, widths[c]) }
    out.write(line + "\n\n")
    for i in 0..<k {
        var buf: [UInt8] = Array(pad(t.irreps[i].label, labelWidth).utf8)
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
    if t.integerValues == nil { for i in 0..<t.irrepCount { for c in 0..<t.classCount {
        let e = t.exactForm(i, c)
        if t.integerValue(i, c) == nil, e.contains("√") || e.contains("E(") { notes.append("\(t.irreps[i].label) on \(t.classes[c].label) = \(e)") }
    } } }
    if !notes.isEmpty && notes.count <= 40 { out.write("\nexact values:\n" + notes.map { "  " + $0 }.joined(separator: "\n") + "\n") }
    out.write("\nι = Frobenius–Schur indicator (1 real, 0 complex, −1 quaternionic); real components: "
              + t.realComponents.map { "\($0.label) (dim \($0.degree))" }.joined(separator: ", ") + "\n")
}

// MARK: - irreps

enum ElementChoice: String, ExpressibleByArgument, CaseIterable { case generators, all }

struct IrrepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irreps",
        abstract: "Explicit real orthogonal irreducible representations (Young's orthogonal form, A_n, D_n, C_n, products).",
        discussion: """
        One matrix per element for each real irreducible component: Young's orthogonal form for S_n \
        (THEORY.md §6), rotation/reflection matrices for D_n, rotations by 2πka/n for C_n (complex pairs \
        realified), Young's form restricted to A_n (self-conjugate λ split into λ±), Kronecker products \
        for products. ρ(gh) = ρ(g)ρ(h) with (gh)(x) = g(h(x)).
        """
    )

    @Argument(help: "The group, e.g. S4, D5, C7, S3xC2.")
    var group: String

    @Option(help: "Only the real component with this label (e.g. [3,1], E1, k2).")
    var irrep: String?

    @Option(help: "Elements to show: generators or all.")
    var elements: ElementChoice = .generators

    @Option(help: "Output format: table or json.")
    var format: SummaryFormat = .table

    func validate() throws {
        do { _ = try GroupSpec.parse(group) } catch let e as GroupError { throw ValidationError(e.description) }
    }

    func run() throws {
        let g = try FiniteGroup.named(group)
        guard g.hasExplicitIrreps else {
            throw UsageError("\(g.name): no explicit irreps are implemented; `irrepscope characters \(g.name)` gives its characters")
        }
        let t = g.characterTable
        var comps = Array(0..<t.realComponents.count)
        if let label = irrep {
            guard let c = t.realComponentIndex(label: label) else {
                throw ValidationError("\(g.name) has no irrep '\(label)'; its real components are " + t.realComponents.map(\.label).joined(separator: ", "))
            }
            comps = [c]
        }
        let elems = elements == .all ? Array(0..<g.order) : g.generators
        let out = ByteSink()
        switch format {
        case .json:
            let j = JSONWriter(sink: out)
            j.beginObject()
            j.field("group", g.name)
            j.field("order", g.order)
            j.field("elements", elements.rawValue)
            j.field("composition", "right-to-left")
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
        case .table:
            out.write("\(g.name): order \(g.order); \(elements == .all ? "all elements" : "generators"); ρ(gh) = ρ(g)ρ(h), (gh)(x) = g(h(x))\n")
            for c in comps {
                let rc = t.realComponents[c]
                out.write("\nirrep \(rc.label)  (real dimension \(rc.degree), \(rc.type.rawValue) type)\n")
                for e in elems {
                    let m = g.realComponentMatrix(c, e)!
                    out.write("  \(g.elementLabel(e))  [element \(e), permutation \(g.permutation(e))]\n")
                    for r in 0..<rc.degree {
                        out.write("    " + (0..<rc.degree).map { pad(fixed(cleanZero(m[r * rc.degree + $0]), 4), 9) }.joined() + "\n")
                    }
                }
            }
        }
        out.flush()
    }
}

/// Rounds values within 1e-15 of an integer (cos(π/2) and the like) to it.
func cleanZero(_ v: Double) -> Double {
    let r = v.rounded()
    return abs(v - r) < 1e-15 ? r + 0 : v
}

// MARK: - decompose

enum DecompositionMethod: String, ExpressibleByArgument, CaseIterable { case characters, matrices }

struct DecomposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decompose",
        abstract: "Per-neuron isotypic power over the real irreps of a finite group (dominant irrep, max normalized power, IPR).",
        discussion: """
        Each neuron's weights over the |G| group elements (sample a = element a in the default order of \
        THEORY.md §6, or the order given by --elements) are split into real irreducible components with \
        Plancherel normalization (THEORY.md §5): powers sum to ‖f‖², shares are normalized by the \
        non-trivial power unless --include-trivial. Complex pairs (C_n's ±k) form one component, so for \
        C_n this equals `spectrum` bin for bin.
        """
    )

    @OptionGroup var selection: WeightSelection

    @Option(help: "The group, e.g. S5, D59, C71, S3xC2.")
    var group: String

    @Option(name: .customLong("elements"),
            help: "JSON file: the element of each row as a permutation (list of lists, 0- or 1-based), in the group's action (see `irreps GROUP --elements all --format json`).")
    var elementsFile: String?

    @Flag(name: .customLong("include-trivial"), help: "Count the trivial irrep in the normalization and the maximum.")
    var includeTrivial = false

    @Option(help: "Number of top components listed per neuron.")
    var top: Int = 3

    @Option(help: "Histogram bins on [0, 1].")
    var bins: Int = 20

    @Option(help: "characters (autocorrelation and characters) or matrices (explicit irreps).")
    var method: DecompositionMethod = .characters

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be ≥ 0") }
        if bins < 1 { throw ValidationError("--bins must be ≥ 1") }
        do { _ = try GroupSpec.parse(group) } catch let e as GroupError { throw ValidationError(e.description) }
    }

    func run() throws {
        let g = try FiniteGroup.named(group)
        var sel = selection
        if sel.groupOrder == nil && sel.neuronAxis == nil { sel.groupOrder = g.order }
        let m = try sel.load()
        guard m.length == g.order else {
            throw UsageError("\(m.path): tensor '\(m.tensor.name)' has \(m.length) samples per neuron, but \(g.name) has \(g.order) elements")
        }
        var elements: [Int]? = nil
        if let path = elementsFile { elements = try readElementList(path, group: g) }
        if method == .matrices && !g.hasExplicitIrreps {
            diagnostic("irrepscope: note: \(g.name) has no explicit irreps here; using characters")
        }
        let (components, table) = try m.isotypicPowers(group: g, elements: elements, includeTrivial: includeTrivial,
                                                       method: method == .matrices ? .matrices : .characters)
        let summaries = (0..<table.neuronCount).map { table.summary(ofNeuron: $0) }
        let histogram = PowerHistogram(values: summaries.map(\.maxNormalizedPower), bins: bins)
        let stats = PowerStatistics(values: summaries.map(\.maxNormalizedPower))
        let listing = NeuronListing(noun: "irrep", labels: components.map(\.label), summaries: summaries, phases: nil,
                                    withTotal: true, top: top)
        let out = ByteSink()
        switch format {
        case .json:
            let j = JSONWriter(sink: out)
            j.beginObject()
            j.field("file", m.path)
            j.field("tensor", m.tensor.name)
            j.field("group", g.name)
            j.field("order", g.order)
            j.field("neuron_axis", m.neuronAxis ?? 0)
            j.field("include_trivial", includeTrivial)
            j.field("method", g.hasExplicitIrreps ? method.rawValue : "characters")
            j.field("element_order", elementsFile == nil ? "default" : elementsFile!)
            j.key("components"); j.beginArray()
            for (i, c) in components.enumerated() {
                j.beginObject(); j.field("index", i); j.field("label", c.label); j.field("degree", c.degree)
                j.field("type", c.type.rawValue); j.field("trivial", c.isTrivial); j.endObject()
            }
            j.endArray()
            listing.writeJSON(j)
            writeHistogram(j, histogram)
            writeStatistics(j, stats)
            j.endObject()
            out.write("\n")
        case .csv:
            listing.writeCSV(out)
        case .table:
            out.write("\(m.path)  tensor \(m.tensor.name) \(m.tensor.shape) \(m.tensor.dtype.rawValue)\n")
            out.write("\(g.name) (order \(g.order)), \(table.neuronCount) neurons along axis \(m.neuronAxis ?? 0), trivial irrep \(includeTrivial ? "included" : "excluded"), \(components.count) real components\n\n")
            listing.writeTable(out)
            out.write("\n")
            writeHistogramTable(out, histogram, stats)
        }
        out.flush()
    }
}

func csvLabel(_ s: String?) -> String {
    guard let s else { return "" }
    return s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

/// Reads a JSON list of permutations and maps each row to its element (0- or 1-based,
/// decided by whether 0 occurs).
func readElementList(_ path: String, group g: FiniteGroup) throws -> [Int] {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw UsageError("\(path): cannot read the element list (\(error.localizedDescription))")
    }
    guard let raw = try? JSONSerialization.jsonObject(with: data), let rows = raw as? [Any] else {
        throw UsageError("\(path): expected a JSON list of permutations, e.g. [[0,1,2],[1,0,2],…]")
    }
    var perms: [[Int]] = []
    for (i, r) in rows.enumerated() {
        guard let p = r as? [Any], let ints = p.map({ ($0 as? NSNumber)?.intValue }) as? [Int] else {
            throw UsageError("\(path): entry \(i) is not a list of integers")
        }
        perms.append(ints)
    }
    let oneBased = !perms.contains { $0.contains(0) }
    do { return try g.reorder(byPermutations: perms, oneBased: oneBased) } catch let e as GroupError {
        throw UsageError("\(path): \(e.description)")
    }
}

extension SelectedMatrix {
    /// Isotypic powers of every neuron; float32/float64 tensors in native byte order are read
    /// in place, everything else is widened to float64 first.
    func isotypicPowers(group: FiniteGroup, elements: [Int]?, includeTrivial: Bool,
                        method: IsotypicDecomposition.Method) throws -> (components: [RealComponent], table: PowerTable) {
        let s: (neuron: Int, sample: Int) = neuronAxis.map { (tensor.strides[$0], tensor.strides[1 - $0]) } ?? (1, tensor.strides[0])
        let inPlace = tensor.isNativeByteOrder && s.neuron >= 1 && s.sample >= 1 && neurons > 0
        if inPlace, tensor.dtype == .float32, let base = tensor.baseAddress {
            return withExtendedLifetime(tensor.source) {
                IsotypicDecomposition.powers(NeuronMatrix(base: base.assumingMemoryBound(to: Float.self), neurons: neurons, length: length,
                                                          neuronStride: s.neuron, sampleStride: s.sample),
                                             group: group, sampleElements: elements, includeTrivial: includeTrivial, method: method)
            }
        }
        if inPlace, tensor.dtype == .float64, let base = tensor.baseAddress {
            return withExtendedLifetime(tensor.source) {
                IsotypicDecomposition.powers(NeuronMatrix(base: base.assumingMemoryBound(to: Double.self), neurons: neurons, length: length,
                                                          neuronStride: s.neuron, sampleStride: s.sample),
                                             group: group, sampleElements: elements, includeTrivial: includeTrivial, method: method)
            }
        }
        let values = try tensor.doubleValues()
        let cols = neuronAxis == nil ? length : tensor.shape[1]
        let (ns, ss) = neuronAxis == 1 ? (1, cols) : (neuronAxis == 0 ? cols : 1, 1)
        if neurons == 0 {
            let comps = group.characterTable.realComponents
            return (comps, PowerTable(neuronCount: 0, componentCount: comps.count, includeTrivial: includeTrivial, powers: []))
        }
        return values.withUnsafeBufferPointer { b in
            IsotypicDecomposition.powers(NeuronMatrix(base: b.baseAddress!, neurons: neurons, length: length, neuronStride: ns, sampleStride: ss),
                                         group: group, sampleElements: elements, includeTrivial: includeTrivial, method: method)
        }
    }
}
