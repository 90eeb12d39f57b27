import Analysis
import Checkpoints
import Foundation
import Testing

/// The activation a checkpoint's metadata declares (`Activation.declared(in:)`): read when no
/// `--activation` is given, so that a ReLU network saved with its config is not analyzed with
/// the quadratic default.
@Suite struct DeclaredActivationTests {
    static func checkpoint(_ metadata: [(String, MetadataValue)]) -> Checkpoint {
        Checkpoint(format: "test", path: "net.pt", tensors: [], metadata: metadata.map { (key: $0.0, value: $0.1) })
    }

    @Test(arguments: [
        ("config.activation", "relu", Activation.relu), ("activation", "ReLU", .relu), ("hparams.act_fn", "nn.ReLU()", .relu),
        ("cfg/nonlinearity", "torch.nn.functional.relu", .relu), ("config.activation_fn", "<function relu at 0x7f3a>", .relu),
        ("config.activation", "quadratic", .quadratic), ("config.activation", "x^2", .quadratic), ("config.activation", "x^4", .power(4)),
        ("config.act_fn", "gelu", .gelu), ("config.act_fn", "GELU(approximate='tanh')", .geluTanh), ("config.act_fn", "gelu_new", .geluTanh),
    ])
    func readsTheSpellingsOfTrainers(key: String, value: String, expected: Activation) throws {
        let d = try #require(try Activation.declared(in: Self.checkpoint([(key, .string(value))])))
        #expect(d.activation == expected)
        #expect(d.key == key)
    }

    @Test func outputLayersAndOtherKeysAreNoDeclaration() throws {
        // A Keras model's Dense output layer: `linear` or `softmax` is not a hidden neuron's σ.
        #expect(try Activation.declared(in: Self.checkpoint([("config.out.activation", .string("linear")),
                                                            ("config.probs.activation", .string("softmax"))])) == nil)
        let keras = try #require(try Activation.declared(in: Self.checkpoint([("config.hidden.activation", .string("relu")),
                                                                             ("config.out.activation", .string("softmax"))])))
        #expect(keras.activation == .relu && keras.key == "config.hidden.activation")
        // Keys that merely start with the word, and values that are not strings.
        #expect(try Activation.declared(in: Self.checkpoint([("config.activation_checkpointing", .string("relu")),
                                                            ("config.activation", .int(2)), ("step", .string("relu"))])) == nil)
        #expect(try Activation.declared(in: Self.checkpoint([])) == nil)
    }

    @Test func anActivationNotModelledOrTwoDifferentOnesAreErrors() {
        for (metadata, words) in [([("config.activation", MetadataValue.string("tanh"))], ["net.pt", "config.activation", "tanh", "--activation"]),
                                  ([("a.activation", .string("relu")), ("b.act_fn", .string("gelu"))], ["net.pt", "a.activation", "b.act_fn", "--activation"])] {
            do {
                _ = try Activation.declared(in: Self.checkpoint(metadata))
                Issue.record("\(metadata) was accepted")
            } catch {
                for w in words { #expect("\(error)".contains(w), "\(error)") }
            }
        }
    }

    /// A pickled nn.Module declares σ by its activation submodule (the universality study's
    /// `self.relu = nn.ReLU()`); softmax and attention modules are no declaration; an activation
    /// class not modelled, or one that contradicts the metadata, is an error naming the submodule.
    @Test func aPickledModulesActivationSubmoduleIsADeclaration() throws {
        func ck(_ opaque: [(String, String)], _ metadata: [(String, MetadataValue)] = []) -> Checkpoint {
            Checkpoint(format: "test", path: "net.pt", tensors: [], metadata: metadata.map { (key: $0.0, value: $0.1) },
                       opaque: [(key: "", global: "__main__.OneLayerMLP")] + opaque.map { (key: $0.0, global: $0.1) })
        }
        let relu = try #require(try Activation.declared(in: ck([("relu", "torch.nn.modules.activation.ReLU")])))
        #expect(relu.activation == .relu && relu.key == "relu")
        #expect(relu.source == "submodule relu (torch.nn.modules.activation.ReLU)")
        let gelu = try #require(try Activation.declared(in: ck([("mlp.act", "torch.nn.modules.activation.GELU")], [("mlp.act.approximate", .string("none"))])))
        #expect(gelu.activation == .gelu)
        let tanh = try #require(try Activation.declared(in: ck([("mlp.act", "torch.nn.modules.activation.GELU")], [("mlp.act.approximate", .string("tanh"))])))
        #expect(tanh.activation == .geluTanh)
        #expect(try Activation.declared(in: ck([("attn", "torch.nn.modules.activation.MultiheadAttention"),
                                               ("out", "torch.nn.modules.activation.Softmax"),
                                               ("lin", "torch.nn.modules.linear.Linear")])) == nil)
        // The metadata and the module agree: one declaration, the metadata's key first.
        let both = try #require(try Activation.declared(in: ck([("relu", "torch.nn.modules.activation.ReLU")], [("config.activation", .string("relu"))])))
        #expect(both.activation == .relu && both.source == "metadata config.activation")
        for (c, words) in [(ck([("act", "torch.nn.modules.activation.Tanh")]), ["net.pt", "submodule act", "Tanh", "--activation"]),
                           (ck([("relu", "torch.nn.modules.activation.ReLU")], [("config.activation", .string("gelu"))]),
                            ["net.pt", "config.activation", "submodule relu", "--activation"])] {
            do {
                _ = try Activation.declared(in: c)
                Issue.record("accepted")
            } catch {
                for w in words { #expect("\(error)".contains(w), "\(error)") }
            }
        }
    }

    /// data/c71-relu-final.pt records `config.activation = relu` (examples/train): analyzed
    /// without --activation it is the ReLU network, whose losses the numpy reference pins
    /// (data/expected/attribution-c71-relu-final.json); --activation still overrides.
    @Test func theReLUCheckpointIsAnalyzedAsReLUWithoutTheFlag() throws {
        let request = AnalysisRequest(task: .group("C71"))
        guard case .group(let a, let layout) = try Analyzer.analyze(path: TrainedData.path("c71-relu-final.pt"), request) else {
            Issue.record("not a group analysis"); return
        }
        #expect(a.activation == .relu)
        #expect(layout.activationSource == "the checkpoint's metadata config.activation")
        let e = try TrainedData.expected("attribution-c71-relu-final")
        let loss = try #require(e["loss"] as? Double), restricted = try #require(e["restricted_loss"] as? Double)
        let att = try #require(a.attribution)
        #expect(abs(att.loss - loss) <= 1e-9 * loss)
        #expect(abs(att.restrictedLoss - restricted) <= 1e-9 * restricted)
        var told = AnalysisRequest(task: .group("C71"))
        told.activation = .quadratic
        guard case .group(let q, let qLayout) = try Analyzer.analyze(path: TrainedData.path("c71-relu-final.pt"), told) else { return }
        #expect(q.activation == .quadratic && qLayout.activationSource == nil)
    }
}

/// The sparse-parity task a checkpoint's metadata records (`ParityInference`), used when the
/// request names no task.
@Suite struct ParityInferenceTests {
    @Test func readsTheTaskTheExampleTrainerRecords() throws {
        let ck = DeclaredActivationTests.checkpoint([("config.task", .string("(10,4)-sparse parity")), ("config.n", .int(10)), ("config.k", .int(4)),
                                                     ("config.support.0", .int(3)), ("config.support.1", .int(1)), ("config.support.2", .int(7)),
                                                     ("config.support.3", .int(0))])
        let p = try #require(ParityInference.recorded(in: ck))
        #expect(p.n == 10 && p.k == 4 && p.support == [0, 1, 3, 7] && p.key == "config.task")
        // n and k from the name alone; a support that is not k distinct inputs is left to the weights.
        let named = try #require(ParityInference.recorded(in: DeclaredActivationTests.checkpoint([("task", .string("(12, 3)-sparse parity")),
                                                                                                   ("support", .string("1,2"))])))
        #expect(named.n == 12 && named.k == 3 && named.support == nil)
        #expect(ParityInference.recorded(in: DeclaredActivationTests.checkpoint([("config.task", .string("modular addition"))])) == nil)
        #expect(ParityInference.recorded(in: DeclaredActivationTests.checkpoint([("config.task", .string("sparse parity"))])) == nil)
    }

    /// data/parity-10-4-final.pt analyzed with no flags: the same analysis as with
    /// --task parity --n 10 --k 4 and its recorded support.
    @Test func theParityCheckpointNeedsNoFlags() throws {
        let notes = NoteLog()
        var request = AnalysisRequest(task: .inferredGroup)
        request.note = { notes.add($0) }
        guard case .parity(let a, _) = try Analyzer.analyze(path: TrainedData.path("parity-10-4-final.pt"), request),
              case .parity(let b, _) = try Analyzer.analyze(path: TrainedData.path("parity-10-4-final.pt"),
                                                             AnalysisRequest(task: .parity(n: 10, k: 4, support: [0, 1, 2, 3]))) else {
            Issue.record("not a parity analysis"); return
        }
        #expect(a.support == [0, 1, 2, 3])
        #expect(a.margins.margin == b.margins.margin && a.margins.accuracy == b.margins.accuracy && a.margins.normPowerNu == b.margins.normPowerNu)
        #expect(notes.lines.contains { $0.contains("(10, 4)-sparse parity") && $0.contains("config.task") })
        // Training pairs belong to group tasks: asking for them is an error, not ignored.
        var withPairs = AnalysisRequest(task: .inferredGroup)
        withPairs.attribution = AttributionOptions(threshold: 0.005, pairsFile: "pairs.json")
        #expect(throws: AnalysisError.self) { try Analyzer.analyze(path: TrainedData.path("parity-10-4-final.pt"), withPairs) }
    }
}

/// The modulus of a modular-addition config (`config.p`, the progress-measures code) names C_p
/// when no group is recorded.
@Suite struct ModulusInferenceTests {
    @Test func theTransformerInDataIsC53WithoutFlags() throws {
        let notes = NoteLog()
        var request = AnalysisRequest(task: .inferredGroup)
        request.attribution = nil
        request.note = { notes.add($0) }
        guard case .group(let a, _) = try Analyzer.analyze(path: TrainedData.path("transformer-p53-final.pt"), request) else {
            Issue.record("not a group analysis"); return
        }
        #expect(a.groupName == "C53")
        #expect(notes.lines.contains { $0.contains("analyzing as C53") && $0.contains("config.p = 53") && $0.contains("54 = 53 + 1") })
    }

    @Test func aModulusNeedsAnAxisOfItsLengthAndAnInteger() throws {
        let bytes = [UInt8](repeating: 0, count: 140)
        let t = try Tensor(name: "W", dtype: .float32, shape: [7, 5], source: ByteSource(bytes: bytes, path: "mem"),
                           storageStart: 0, storageLength: bytes.count)
        func ck(_ m: [(String, MetadataValue)]) -> Checkpoint {
            Checkpoint(format: "test", path: "x.pt", tensors: [t], metadata: m.map { (key: $0.0, value: $0.1) })
        }
        #expect(GroupInference.recordedModulus(in: ck([("config.p", .int(7))]))?.n == 7)
        #expect(GroupInference.recordedModulus(in: ck([("config.p", .int(6))]))?.axis == 7)
        #expect(GroupInference.recordedModulus(in: ck([("config.p", .int(11))])) == nil)
        #expect(GroupInference.recordedModulus(in: ck([("config.p", .double(0.1))])) == nil)
        #expect(GroupInference.recordedModulus(in: ck([("dropout.p", .int(1))])) == nil)
    }
}
