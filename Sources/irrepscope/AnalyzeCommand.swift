import Analysis
import ArgumentParser
import Checkpoints
import Foundation
import Fourier
import Groups
import JSONOutput
import Reports

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Find the network in a checkpoint and report its features, sparsity and margin against theory.",
        discussion: """
        Group tasks (--group, e.g. C71, S4, D5): the network f(a,b)[c] = Σ_i σ(u_i[a] + v_i[b]) w_i[c] \
        of THEORY.md §1 is located automatically (or with --u/--v/--w): the paper's layout, two \
        embeddings and an output matrix of any trainer, summed-embedding MLPs, and embeddings \
        followed by a hidden matrix (W_x, W_y, W, W_U: u = W_x·W[:d], v = W_y·W[d:]). Accuracy and \
        margin are those of the double-precision forward pass (reached through a single-precision \
        screen with a rigorous error bound). Per neuron: the dominant \
        frequency or irrep of u, v and w with max normalized power, the split of the neuron's norm, \
        whether u, v, w agree, and for cyclic groups the phase residual θ_u + θ_v − θ_w. Over the \
        network: histograms, components used, accuracy on all |G|² pairs, the normalized margin \
        h(θ)/‖θ‖_{2,ν}^ν and the theoretical maximum γ* (THEORY.md §3) when the theorem's \
        conditions hold.

        Sparse parity (--task parity --n N --k K): u_i on the support, the sign condition, margin \
        against Theorem 8.
        """
    )

    @Argument(help: "Checkpoint file (any format IrrepScope reads).")
    var file: String

    @OptionGroup var analysis: AnalysisOptions

    @Option(help: "Output format: table or json.")
    var format: SummaryFormat = .table

    @Option(help: "Also write report.json, neurons.csv, report.html, report.md and the plots (SVG) into this directory.")
    var out: String?

    @Option(help: "Checkpoint of the same network at initialization: its histograms are drawn next to the final ones.")
    var initial: String?

    func run() throws {
        let rendering = format == .json ? RenderedNeurons() : nil
        let outcome = try analysis.analyze(path: file, rendering: rendering)
        let sink = ByteSink()
        switch format {
        case .json:
            outcome.writeJSON(JSONWriter(sink: sink), file: file, renderedNeurons: rendering?.bytes)
            sink.write("\n")
        case .table:
            outcome.writeTable(sink, file: file)
        }
        sink.flush()
        if let out {
            let initialJSON = try initial.map { path -> [String: Any] in
                let o = try analysis.analyze(path: path)
                return try parseJSON(o.jsonData(file: path), source: path)
            }
            let data = outcome.jsonData(file: file)
            try writeAnalysisDirectory(out, reportJSON: data, csv: outcome.csv(), initial: initialJSON)
        }
    }
}

/// Writes report.json, neurons.csv and the rendered report into `dir`.
func writeAnalysisDirectory(_ dir: String, reportJSON: Data, csv: String, initial: [String: Any]?) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let url = URL(fileURLWithPath: dir)
    try reportJSON.write(to: url.appendingPathComponent("report.json"))
    try Data(csv.utf8).write(to: url.appendingPathComponent("neurons.csv"))
    let parsed = try parseJSON(reportJSON, source: dir + "/report.json")
    try AnalysisReport.single(parsed, initial: initial).write(to: dir)
    diagnostic("irrepscope: wrote \(dir)/report.html (open it in a browser), report.md, report.json, neurons.csv and the plots")
}

func parseJSON(_ data: Data, source: String) throws -> [String: Any] {
    guard let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw UsageError("\(source): not a JSON object")
    }
    return o
}

/// The analysis options shared by `analyze` and `batch`.
struct AnalysisOptions: ParsableArguments {
    @Option(help: "Group of the task: C71 (= Z71), D5, S4, A5, S3xC2 …")
    var group: String?

    @Option(help: "Task: group (default when --group is given) or parity.")
    var task: String?

    @Option(help: "Parity: number of input bits n.")
    var n: Int?

    @Option(help: "Parity: order k of the parity.")
    var k: Int?

    @Option(help: "Parity: the support S as comma-separated 0-based indices (default: inferred from the weights).")
    var support: String?

    @Option(help: "Activation: quadratic (default for groups), relu, or x^k (default x^K for parity).")
    var activation: String?

    @Option(help: "Composition of the labels: right-to-left ((g·h)(x) = g(h(x)), default) or left-to-right.")
    var composition: String = "right-to-left"

    @Option(help: "JSON list of permutations giving the group element of each row, in the trainer's row order.")
    var elements: String?

    @Option(help: "Tensor holding u (left input).") var u: String?
    @Option(help: "Tensor holding v (right input).") var v: String?
    @Option(help: "Tensor holding w (output).") var w: String?
    @Option(name: .customLong("u-axis"), help: "Axis of --u that indexes group elements.") var uAxis: Int?
    @Option(name: .customLong("v-axis"), help: "Axis of --v that indexes group elements.") var vAxis: Int?
    @Option(name: .customLong("w-axis"), help: "Axis of --w that indexes group elements.") var wAxis: Int?

    @Option(help: "Which instance of a leading instance axis to analyze (default 0).")
    var instance: Int?

    @Flag(name: .customLong("include-trivial"), help: "Count the trivial component (DC) in normalizations and maxima.")
    var includeTrivial = false

    @Option(help: "Top components listed per neuron.") var top: Int = 3
    @Option(help: "Histogram bins on [0, 1].") var bins: Int = 20

    func validate() throws {
        if group == nil && task?.lowercased() != "parity" {
            throw ValidationError("give --group G for a group task, or --task parity --n N --k K")
        }
        if task?.lowercased() == "parity" {
            guard let n, let k, n >= 1, k >= 1, k <= n else { throw ValidationError("--task parity needs --n N and --k K with 1 ≤ K ≤ N") }
            if n > 24 { throw ValidationError("--n \(n): the population of 2^n inputs is too large (n ≤ 24)") }
        }
        if composition != "right-to-left" && composition != "left-to-right" {
            throw ValidationError("--composition must be right-to-left or left-to-right")
        }
        if activation != nil && Activation(name: activation!) == nil {
            throw ValidationError("unknown --activation '\(activation!)' (quadratic, relu, x^k)")
        }
        if top < 0 || bins < 1 { throw ValidationError("--top must be ≥ 0 and --bins ≥ 1") }
    }


    /// Analyzes one checkpoint file. With `rendering`, the neurons' JSON is rendered into it
    /// while the margins are still being computed.
    func analyze(path: String, rendering: RenderedNeurons? = nil) throws -> AnalysisOutcome {
        try analyze(checkpoint: CheckpointLoader.load(path: path), rendering: rendering)
    }

    /// `threads`: threads for one checkpoint's forward pass (batch runs several at once).
    func analyze(checkpoint: Checkpoint, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                 rendering: RenderedNeurons? = nil) throws -> AnalysisOutcome {
        if task?.lowercased() == "parity" {
            let r = try runParity(checkpoint)
            return .parity(r.analysis, r.layout)
        }
        let g = try FiniteGroup.named(group!)
        let r = try runGroup(checkpoint, group: g, threads: threads, rendering: rendering)
        return .group(r.analysis, r.layout)
    }

    func runGroup(_ checkpoint: Checkpoint, group g: FiniteGroup,
                  threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                  rendering: RenderedNeurons? = nil) throws -> (analysis: GroupAnalysis, layout: NetworkLayout) {
        var request = LayoutRequest()
        request.u = u; request.v = v; request.w = w
        request.uAxis = uAxis; request.vAxis = vAxis; request.wAxis = wAxis
        request.instance = instance
        let layout = try NetworkLocator.locate(in: checkpoint, order: g.order, request: request)
        var rowOfElement: [Int]? = nil
        if let elements {
            let rows = try readPermutations(elements)
            let elementOfRow = try g.reorder(byPermutations: rows.perms, oneBased: rows.oneBased)
            var inverse = [Int](repeating: 0, count: g.order)
            for (r, e) in elementOfRow.enumerated() { inverse[e] = r }
            rowOfElement = inverse
        }
        let (uw, vw) = try NetworkLocator.inputs(layout, in: checkpoint, rowOfElement: rowOfElement)
        let ww = try NetworkLocator.elementMajor(layout.w, in: checkpoint, rowOfElement: rowOfElement)
        let m = layout.width
        let net = GroupNetwork(order: g.order, width: m, activation: activation.flatMap(Activation.init(name:)) ?? .quadratic,
                               u: uw, v: vw, w: ww)
        var options = GroupAnalysisOptions()
        options.threads = threads
        options.activation = net.activation
        options.composition = composition == "left-to-right" ? .leftToRight : .rightToLeft
        options.includeTrivial = includeTrivial
        options.top = top
        options.bins = bins
        if let rendering {
            let cyclic = GroupAnalysis.isCyclicName(group!)
            options.whileMarginsCompute = { neurons, labels in
                rendering.bytes = ReportWriter.renderNeuronsJSON(neurons, labels: labels, cyclic: cyclic)
            }
        }
        var a = GroupAnalysis.run(network: net, group: g, groupName: group!, options: options)
        // Square matrices (m = |G|): also try them with element and neuron axes swapped.
        func swapped(_ t: TensorUse) -> TensorUse? {
            guard t.shape[t.elementAxis] == t.shape[t.neuronAxis] else { return nil }
            var s = t
            (s.elementAxis, s.neuronAxis) = (t.neuronAxis, t.elementAxis)
            return s
        }
        let uses = [layout.u, layout.v ?? layout.u, layout.w]
        if layout.hidden == nil, uses.contains(where: { swapped($0) != nil }) {
            let alt = try uses.map { try NetworkLocator.elementMajor(swapped($0) ?? $0, in: checkpoint, rowOfElement: rowOfElement) }
            let other = GroupNetwork(order: g.order, width: m, activation: net.activation, u: alt[0], v: layout.v == nil ? alt[0] : alt[1], w: alt[2])
            let table = g.multiplicationTable
            let label: (Int, Int) -> Int = options.composition == .rightToLeft ? { table[$0, $1] } : { table[$1, $0] }
            let r = other.evaluate(threads: threads, label: label)
            a.transposedLayout = (r.accuracy, r.margin / other.normPowerNu())
            if a.transposedLayoutFitsBetter {
                diagnostic("irrepscope: note: \(checkpoint.path): with the square matrices transposed the labels fit better (accuracy \(fixed(r.accuracy * 100, 2))%); pass --u-axis/--v-axis/--w-axis to choose the element axis")
            }
        }
        if layout.instances > 1 {
            diagnostic("irrepscope: note: \(checkpoint.path): \(layout.instances) instances on the leading axis; analyzing instance \(instance ?? 0) (choose with --instance)")
        }
        return (a, layout)
    }

    func runParity(_ checkpoint: Checkpoint) throws -> (analysis: ParityAnalysis, layout: NetworkLayout) {
        let n = self.n!, k = self.k!
        let (uu, wu) = try NetworkLocator.locateParity(in: checkpoint, inputs: n, u: u, w: w)
        let m = uu.shape[uu.neuronAxis]
        guard wu.shape[wu.neuronAxis] == m else {
            throw LayoutError(path: checkpoint.path, message: "u '\(uu.name)' has width \(m) but w '\(wu.name)' has \(wu.shape[wu.neuronAxis])")
        }
        // Element-major (inputs × m) → neuron-major (m × inputs).
        let ue = try NetworkLocator.elementMajor(uu, in: checkpoint, rowOfElement: nil)
        let we = try NetworkLocator.elementMajor(wu, in: checkpoint, rowOfElement: nil)
        var un = [Double](repeating: 0, count: n * m), wn = [Double](repeating: 0, count: 2 * m)
        for j in 0..<n { for i in 0..<m { un[i * n + j] = ue[j * m + i] } }
        for c in 0..<2 { for i in 0..<m { wn[i * 2 + c] = we[c * m + i] } }
        var supportList: [Int]? = nil
        if let support {
            let parts = support.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ $0 != nil && $0! >= 0 && $0! < n }), parts.count == k, Set(parts.map { $0! }).count == k else {
                throw ValidationError("--support must list \(k) distinct indices in 0..<\(n)")
            }
            supportList = parts.map { $0! }.sorted()
        }
        let net = ParityNetwork(inputs: n, width: m, activation: activation.flatMap(Activation.init(name:)) ?? .power(k),
                                u: un, w: wn)
        let a = ParityAnalysis.run(network: net, k: k, support: supportList, plusClass: nil)
        return (a, NetworkLayout(kind: "parity (first layer, output layer)", u: uu, v: nil, w: wu, instances: 1))
    }

    /// Reads a JSON list of permutations (0- or 1-based, detected from the values).
    func readPermutations(_ path: String) throws -> (perms: [[Int]], oneBased: Bool) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CheckpointError(path: path, "cannot read the element list: \(error.localizedDescription)")
        }
        guard let list = try? JSONSerialization.jsonObject(with: data) as? [[Int]] else {
            throw CheckpointError(path: path, "expected a JSON list of permutations (lists of integers)")
        }
        let values = list.flatMap { $0 }
        let oneBased = !values.contains(0) && !values.isEmpty
        return (list, oneBased)
    }
}


/// The neurons' part of an analysis' JSON, rendered while its forward pass runs.
final class RenderedNeurons: @unchecked Sendable {
    /// Set on the analyzing thread before `analyze` returns.
    var bytes: ByteSink?
}

/// The result of `AnalysisOptions.analyze`, with its renderings.
enum AnalysisOutcome {
    case group(GroupAnalysis, NetworkLayout)
    case parity(ParityAnalysis, NetworkLayout)

    func writeJSON(_ j: JSONWriter, file: String, renderedNeurons: ByteSink? = nil) {
        switch self {
        case .group(let a, let l): ReportWriter.groupJSON(j, a, layout: l, file: file, renderedNeurons: renderedNeurons)
        case .parity(let a, let l): ReportWriter.parityJSON(j, a, layout: l, file: file)
        }
    }

    func jsonData(file: String) -> Data {
        let s = ByteSink(collecting: ())
        writeJSON(JSONWriter(sink: s), file: file)
        s.write("\n")
        return Data(s.buffer)
    }

    func writeTable(_ out: ByteSink, file: String) {
        switch self {
        case .group(let a, let l): ReportWriter.groupTable(out, a, layout: l, file: file)
        case .parity(let a, let l): ReportWriter.parityTable(out, a, layout: l, file: file)
        }
    }

    func csv() -> String {
        switch self {
        case .group(let a, _): return ReportWriter.groupCSV(a)
        case .parity(let a, _): return ReportWriter.parityCSV(a)
        }
    }
}
