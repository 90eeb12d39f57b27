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
    public static func declared(in checkpoint: Checkpoint) throws -> (activation: Activation, key: String)? {
        var found: [(key: String, value: String, activation: Activation?)] = []
        for (key, value) in checkpoint.metadata {
            guard case .string(let text) = value else { continue }
            let last = key.split(whereSeparator: { $0 == "." || $0 == "/" }).last.map { $0.lowercased() } ?? ""
            guard declarationKeys.contains(last) else { continue }
            let name = normalizedName(text)
            if outputOnlyNames.contains(name) { continue }
            found.append((key, text, Activation(name: name)))
        }
        guard let first = found.first else { return nil }
        if let bad = found.first(where: { $0.activation == nil }) {
            throw AnalysisError("\(checkpoint.path): its metadata declares \(bad.key) = '\(bad.value)', an activation IrrepScope does not model (quadratic, relu, x^k, gelu, gelu_new); pass --activation to analyze the network with one of those")
        }
        if let other = found.first(where: { $0.activation != first.activation }) {
            throw AnalysisError("\(checkpoint.path): its metadata declares two activations, \(first.key) = '\(first.value)' and \(other.key) = '\(other.value)'; pass --activation to choose")
        }
        return (first.activation!, first.key)
    }

    /// The σ a network family analyzes with: the request's (`--activation`), else the one the
    /// checkpoint's metadata declares (`declared(in:)`), else the family's `default`; and, when it
    /// came from the metadata, a phrase that says so (`NetworkLayout.activationSource`).
    static func forNetwork(_ request: AnalysisRequest, _ checkpoint: Checkpoint, default fallback: Activation) throws
        -> (Activation, String?) {
        if let a = request.activation { return (a, nil) }
        if let d = try declared(in: checkpoint) { return (d.activation, "the checkpoint's metadata \(d.key)") }
        return (fallback, nil)
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
