import Analysis
import ArgumentParser
import Foundation
import Groups
import JSONOutput
import Reports

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Find the network in a checkpoint and report its features, sparsity and margin against theory.",
        discussion: """
        Group tasks (--group, e.g. C71, S4, D5): the network f(a,b)[c] = Σ_i σ(u_i[a] + v_i[b]) w_i[c] \
        of docs/theory.md §1 is located automatically (or with --u/--v/--w): the paper's layout, two \
        embeddings and an output matrix of any trainer, summed-embedding MLPs, and embeddings \
        followed by a hidden matrix (W_x, W_y, W, W_U: u = W_x·W[:d], v = W_y·W[d:]), and MLPs with \
        a concatenated one-hot input (nn.Linear(2|G|, m): u, v its two halves) or biases, which are \
        part of the forward pass (γ* only when every bias is zero), and transformers (the \
        progress-measures code's and TransformerLens layouts, input [a, b, =]; --equals-token, \
        --no-equals; u = W_in·W_E, w = W_U·W_out per MLP neuron; no γ*). Without --group the group is \
        the one the checkpoint's metadata names, or C_p for an axis of prime length p. Accuracy and \
        margin are those of the double-precision forward pass (reached through a single-precision \
        screen with a rigorous error bound). Per neuron: the dominant \
        frequency or irrep of u, v and w with max normalized power, the split of the neuron's norm, \
        whether u, v, w agree, and for cyclic groups the phase residual θ_u + θ_v − θ_w. Over the \
        network: histograms, components used, accuracy on all |G|² pairs, the normalized margin \
        h(θ)/‖θ‖_{2,ν}^ν and the theoretical maximum γ* (docs/theory.md §3) when the theorem's \
        conditions hold. Which components the network's function uses (docs/attribution.md): each \
        component's logit similarity, the key components (--key-threshold), restricted and excluded \
        loss (also on --pairs), the hidden neurons over G × G; --no-attribution skips it. --out DIR \
        writes the report, with the paper's neuron panels (--neurons K).

        Sparse parity (--task parity --n N --k K): u_i on the support, the sign condition, margin \
        against Theorem 8.
        """
    )

    @Argument(help: "Checkpoint file (any format IrrepScope reads).")
    var file: String

    @OptionGroup var analysis: AnalysisOptions

    @Option(help: "Output format: table, json, or csv (the per-neuron table that --out writes as neurons.csv).")
    var format: ListingFormat = .table

    @Option(help: "Also write report.json, neurons.csv, report.html, report.md and the plots (SVG) into this directory.")
    var out: String?

    @Option(help: "Checkpoint of the same network at initialization: its histograms are drawn next to the final ones.")
    var initial: String?

    func run() throws {
        var request = try analysis.request()
        request.profiledNeurons = analysis.neurons ?? (out != nil ? AnalysisOptions.defaultProfiledNeurons : 0)
        let rendered = EarlyNeurons()
        // The neurons' JSON is rendered while the forward pass runs (the attribution's part of
        // each neuron is added when written).
        if format == .json {
            request.whileMarginsCompute = { draft in rendered.bytes = AnalysisRendering.renderNeurons(draft) }
        }
        let result = try Analyzer.analyze(path: file, request)
        // The neurons' JSON was rendered while the forward pass ran; their records are needed
        // only for the files of --out.
        let record = AnalysisRecord(result, file: file, neurons: rendered.bytes == nil || out != nil)
        AnalysisRendering.write(record, format: format, renderedNeurons: rendered.bytes, to: ByteSink())
        if let out {
            let initialRecord = try initial.map { path in AnalysisRecord(try Analyzer.analyze(path: path, try analysis.request()), file: path) }
            try AnalysisDirectory.write(record, initial: initialRecord, to: out)
            diagnostic("irrepscope: wrote \(out)/report.html (open it in a browser), report.md, report.json, neurons.csv and the plots")
        }
    }
}

/// The neurons' part of an analysis' JSON, rendered while its forward pass runs.
final class EarlyNeurons: @unchecked Sendable {
    /// Set on the analyzing thread before `analyze` returns.
    var bytes: RenderedNeurons?
}

/// The analysis options shared by `analyze` and `batch`.
struct AnalysisOptions: ParsableArguments {
    @Option(help: "Group of the task: C71 (= Z71), D5, S4, A5, S3xC2 …, table:FILE (a Cayley table) or perm:'(0 1 2),(0 1)' / perm:FILE (permutation generators; docs/groups-from-data.md) (default: the group the checkpoint's metadata names, or C_p when its weights have an axis of prime length p — the embeddings', when a hidden matrix sits between them).")
    var group: String?

    @Option(help: "Task: group (default when --group is given) or parity.")
    var task: String?

    @Option(help: "Parity: number of input bits n.")
    var n: Int?

    @Option(help: "Parity: order k of the parity.")
    var k: Int?

    @Option(help: "Parity: the support S as comma-separated 0-based indices (default: inferred from the weights).")
    var support: String?

    @Option(help: "Activation: quadratic, relu, or x^k; gelu (erf) or gelu_new (tanh). Default: the one the checkpoint declares (metadata activation, act_fn, …, or a pickled module's activation submodule such as nn.ReLU: docs/networks.md §1), else quadratic for groups, x^K for parity, relu for transformers.")
    var activation: String?

    @Option(name: .customLong("equals-token"), help: "Transformers: the id of the = token of the input [a, b, =] (default |G|).")
    var equalsToken: Int?

    @Flag(name: .customLong("no-equals"), help: "Transformers: the input is [a, b], without an = token.")
    var noEquals = false

    @Option(help: "Composition of the labels: right-to-left ((g·h)(x) = g(h(x)), default) or left-to-right.")
    var composition: String = "right-to-left"

    @Option(help: "JSON list of permutations giving the group element of each row, in the trainer's row order; table:FILE, the trainer's multiplication table over its rows (JSON, .npy, .pt, safetensors), matched to --group by an isomorphism; or infer: read the order from the network's own predictions (100% accuracy needed; docs/groups-from-data.md).")
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

    @Option(name: .customLong("key-threshold"), help: "Attribution: a component is key when its logit similarity exceeds this (docs/attribution.md §4).")
    var keyThreshold: Double = 0.005

    @Option(help: "Attribution: the training pairs, a JSON list of [a, b] or an .npy integer array (k, 2); the losses are also reported on them, and the network's loss on the pairs they leave out (the test loss).")
    var pairs: String?

    @Flag(name: .customLong("no-attribution"), help: "Skip the function-level attribution (logit similarities, restricted/excluded loss, hidden neurons over G × G).")
    var noAttribution = false

    @Option(help: "Top components listed per neuron.") var top: Int = 3
    @Option(help: "Histogram bins on [0, 1].") var bins: Int = 20
    @Option(help: ArgumentHelp("Neurons drawn as the paper's Fig. 1 panels (weights over the elements with their trigonometric interpolation, power spectrum): the K largest by norm (default 6 in a report — analyze --out, the last checkpoint of a batch; with --format json, the profiles are written only when --neurons is given).", valueName: "K"))
    var neurons: Int?

    /// Neurons profiled in a report when --neurons is not given.
    static let defaultProfiledNeurons = 6

    var isParity: Bool { task?.lowercased() == "parity" }

    func validate() throws {
        if let t = task, !["group", "parity"].contains(t.lowercased()) {
            throw ValidationError("--task must be group or parity")
        }
        if isParity {
            guard let n, let k, n >= 1, k >= 1, k <= n else { throw ValidationError("--task parity needs --n N and --k K with 1 ≤ K ≤ N") }
            if n > 24 { throw ValidationError("--n \(n): the population of 2^n inputs is too large (n ≤ 24)") }
            _ = try supportList()
        }
        if Composition(spelling: composition) == nil {
            throw ValidationError("--composition must be right-to-left or left-to-right")
        }
        if let a = activation, Activation(name: a) == nil {
            throw ValidationError("unknown --activation '\(a)' (quadratic, relu, x^k, gelu, gelu_new)")
        }
        if noEquals, equalsToken != nil { throw ValidationError("--equals-token and --no-equals exclude each other") }
        if let t = equalsToken, t < 0 { throw ValidationError("--equals-token must be ≥ 0") }
        if top < 0 || bins < 1 { throw ValidationError("--top must be ≥ 0 and --bins ≥ 1") }
        if let neurons, neurons < 0 { throw ValidationError("--neurons must be ≥ 0") }
        if !(keyThreshold >= 0 && keyThreshold < 1) { throw ValidationError("--key-threshold must lie in [0, 1)") }
        if noAttribution && pairs != nil { throw ValidationError("--pairs needs the attribution (drop --no-attribution)") }
    }

    func supportList() throws -> [Int]? {
        guard let support, let n, let k else { return nil }
        let parts = support.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ $0 != nil && $0! >= 0 && $0! < n }), parts.count == k, Set(parts.map { $0! }).count == k else {
            throw ValidationError("--support must list \(k) distinct indices in 0..<\(n)")
        }
        return parts.map { $0! }.sorted()
    }

    /// The library request these options describe.
    func request() throws -> AnalysisRequest {
        var r = AnalysisRequest(task: isParity ? .parity(n: n!, k: k!, support: try supportList()) : (group.map { .group($0) } ?? .inferredGroup))
        r.activation = activation.flatMap(Activation.init(name:))
        r.composition = Composition(spelling: composition) ?? .rightToLeft
        if let elements { try r.setElementOrder(elements) }
        r.tensors.u = u; r.tensors.v = v; r.tensors.w = w
        r.tensors.uAxis = uAxis; r.tensors.vAxis = vAxis; r.tensors.wAxis = wAxis
        r.tensors.instance = instance
        r.equalsToken = equalsToken
        r.twoTokenInput = noEquals
        r.includeTrivial = includeTrivial
        r.top = top
        r.bins = bins
        r.attribution = noAttribution || isParity ? nil : AttributionOptions(threshold: keyThreshold, pairsFile: pairs)
        r.note = { diagnostic("irrepscope: note: " + $0) }
        return r
    }
}
