import Analysis
import ArgumentParser
import Reports

/// How a per-neuron command picks its matrix: the file, the tensor in it, and which axis
/// indexes neurons.
struct WeightSelection: ParsableArguments {
    @Argument(help: "Weight file: .pt/.pth/.bin (PyTorch, zip or legacy), .safetensors, .npy, .npz or Flax msgpack.")
    var file: String

    @Option(name: .long, help: "Tensor to analyse, by key path (default: the file's only matrix).")
    var tensor: String?

    @Option(name: .customLong("neuron-axis"),
            help: "Axis that indexes neurons: 0 for a (neurons × p) matrix, 1 for (p × neurons).")
    var neuronAxis: Int?

    @Option(name: .customLong("p"),
            help: "Length of the non-neuron axis (|G|); picks the neuron axis when --neuron-axis is not given.")
    var groupOrder: Int?

    func validate() throws {
        if let a = neuronAxis, a != 0 && a != 1 { throw ValidationError("--neuron-axis must be 0 or 1, not \(a)") }
        if let p = groupOrder, p < 1 { throw ValidationError("--p must be positive") }
    }

    func load(sampleCount: Int? = nil) throws -> SelectedMatrix {
        try MatrixSelection(tensor: tensor, neuronAxis: neuronAxis, sampleCount: groupOrder ?? (neuronAxis == nil ? sampleCount : nil))
            .load(path: file, note: { diagnostic("irrepscope: note: " + $0) })
    }
}

/// Output formats of summary commands.
enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

extension ListingFormat: ExpressibleByArgument {}
