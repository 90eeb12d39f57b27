import Analysis
import Checkpoints
import Foundation
import Testing

/// The activation a checkpoint's metadata declares (`Activation.declared(in:)`): read when no
/// `--activation` is given, so that a ReLU network saved with its config is not analysed with
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

    /// data/c71-relu-final.pt records `config.activation = relu` (examples/train): analysed
    /// without --activation it is the ReLU network, whose losses the numpy reference pins
    /// (data/expected/attribution-c71-relu-final.json); --activation still overrides.
    @Test func theReLUCheckpointIsAnalysedAsReLUWithoutTheFlag() throws {
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
