import Checkpoints
import Foundation

extension Activation {
    /// Metadata keys whose string value names the hidden nonlinearity, matched as the last
    /// component of a metadata key (`config.activation`, `hparams/act_fn`, `activation`).
    public static let declarationKeys: Set<String> = ["activation", "act_fn", "activation_fn", "nonlinearity"]

    /// Values that name no nonlinearity or an output layer's (a Keras `Dense` output layer's
    /// `activation` is `linear` or `softmax`): never a hidden neuron's σ, so not a declaration.
    static let outputOnlyNames: Set<String> = ["linear", "identity", "none", "softmax", "log_softmax", "logsoftmax"]

    /// The activation σ that a checkpoint's metadata declares for its hidden neurons, and the
    /// metadata key that declares it; nil when the metadata names none. A trainer's saved config
    /// (`config.activation = relu`, as the training scripts in examples/ write it; a Keras layer's
    /// `activation`) is read with `init(name:)` after the spellings of PyTorch and Keras are
    /// reduced to its names (`ReLU`, `nn.ReLU()`, `torch.nn.functional.relu` → `relu`).
    ///
    /// Throws, naming the file and the keys, when the metadata declares an activation this
    /// project does not model (tanh, sigmoid, …) or two different ones: analyzing such a network
    /// with a default σ would give numbers for another network; `--activation` (the request's
    /// `activation`) overrides the metadata and is the way to analyze it anyway.
    ///
    /// A pickled `nn.Module` declares its σ by structure: an activation submodule (`self.relu =
    /// nn.ReLU()`, as the universality study's `OneLayerMLP` registers it) is a declaration too,
    /// its class `torch.nn.modules.activation.ReLU` read as `relu` and a `GELU` with
    /// `approximate = 'tanh'` as `gelu_tanh`; the key is then the submodule's path. Softmax
    /// modules (an output's) are no declaration; other activation classes (Tanh, SiLU, …) are
    /// an activation this project does not model, as above.
    /// `source` says where, for the layout's `activation_source`: "metadata config.activation"
    /// or "submodule relu (torch.nn.modules.activation.ReLU)".
    public static func declared(in checkpoint: Checkpoint) throws -> (activation: Activation, key: String, source: String)? {
        typealias Declaration = (key: String, value: String, activation: Activation?, source: String, module: Bool)
        var found: [Declaration] = []
        for (key, value) in checkpoint.metadata {
            guard case .string(let text) = value else { continue }
            let last = key.split(whereSeparator: { $0 == "." || $0 == "/" }).last.map { $0.lowercased() } ?? ""
            guard declarationKeys.contains(last) else { continue }
            let name = normalizedName(text)
            if outputOnlyNames.contains(name) { continue }
            found.append((key, text, Activation(name: name), "metadata \(key)", false))
        }
        for (key, global) in checkpoint.opaque {
            guard let module = moduleName(global, at: key, in: checkpoint) else { continue }
            let path = key.isEmpty ? "<root>" : key
            let cls = global.split(separator: ".").last.map(String.init) ?? global
            found.append((path, cls, Activation(name: module), "submodule \(path) (\(global))", true))
        }
        guard let first = found.first else { return nil }
        if let bad = found.first(where: { $0.activation == nil }) {
            let what = bad.module ? "\(bad.source) declares '\(bad.value)'" : "metadata declares \(bad.key) = '\(bad.value)'"
            throw AnalysisError("\(checkpoint.path): its \(what), an activation IrrepScope does not model (quadratic, relu, x^k, gelu, gelu_new); pass --activation to analyze the network with one of those")
        }
        if let other = found.first(where: { $0.activation != first.activation }) {
            func named(_ e: Declaration) -> String { e.module ? "the \(e.source)" : "\(e.key) = '\(e.value)'" }
            let whose = first.module || other.module ? "it declares" : "its metadata declares"
            throw AnalysisError("\(checkpoint.path): \(whose) two activations, \(named(first)) and \(named(other)); pass --activation to choose")
        }
        return (first.activation!, first.key, first.source)
    }

    /// The σ a network family analyzes with: the request's (`--activation`), else the one the
    /// checkpoint's metadata declares (`declared(in:)`), else the family's `default`; and, when it
    /// came from the metadata, a phrase that says so (`NetworkLayout.activationSource`).
    static func forNetwork(_ request: AnalysisRequest, _ checkpoint: Checkpoint, default fallback: Activation) throws
        -> (Activation, String?) {
        if let a = request.activation { return (a, nil) }
        if let d = try declared(in: checkpoint) { return (d.activation, "the checkpoint's \(d.source)") }
        return (fallback, nil)
    }

    /// The activation name of a pickled PyTorch activation module's class
    /// (`torch.nn.modules.activation.ReLU` → `relu`; `GELU` → `gelu`, or `gelu_tanh` when the
    /// module's `approximate` attribute, kept as metadata `<key>.approximate`, is `tanh`); nil
    /// for any other class, for the softmax modules of an output and for `MultiheadAttention`
    /// (which that module also defines).
    static func moduleName(_ global: String, at key: String, in checkpoint: Checkpoint) -> String? {
        let prefix = "torch.nn.modules.activation."
        guard global.hasPrefix(prefix) else { return nil }
        let name = global.dropFirst(prefix.count).lowercased()
        // The module also holds attention and the softmax family: no hidden neuron's σ.
        if name.isEmpty || outputOnlyNames.contains(name) || ["softmin", "softmax2d", "multiheadattention"].contains(name) { return nil }
        if name == "gelu" {
            let attribute = key.isEmpty ? "approximate" : key + ".approximate"
            if let entry = checkpoint.metadata.first(where: { $0.key == attribute }), case .string("tanh") = entry.value {
                return "gelu_tanh"
            }
        }
        return name
    }

    /// `ReLU`, `nn.ReLU()`, `torch.nn.functional.relu`, ` relu ` → `relu`; `GELU(approximate='tanh')`
    /// → `gelu_tanh`.
    static func normalizedName(_ text: String) -> String {
        var s = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if s.hasPrefix("<function ") { s = String(s.dropFirst(10).prefix { $0 != " " && $0 != ">" }) }
        var tanh = false
        if s.hasSuffix(")"), let open = s.firstIndex(of: "(") {
            tanh = s[open...].contains("tanh")
            s = String(s[..<open])
        }
        if let dot = s.lastIndex(of: ".") { s = String(s[s.index(after: dot)...]) }
        return s == "gelu" && tanh ? "gelu_tanh" : s
    }
}
