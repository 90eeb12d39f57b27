/// The floating-point types neuron weights come in: `Float` and `Double`.
///
/// Fourier refines this protocol (`FFTWScalar`: the FFTW precision of each type); Groups
/// and every other consumer of weights need only this one.
public protocol NeuronScalar: BinaryFloatingPoint, Sendable {}

extension Float: NeuronScalar {}
extension Double: NeuronScalar {}

/// A matrix of neuron weights seen through strides, never copied: neuron `n`, sample `a`
/// (the group element or residue a; for Z_p, a ∈ 0..<p) is at
/// `base[n·neuronStride + a·sampleStride]`.
///
/// Which element sample a is, is the caller's convention: the default element orders of
/// docs/theory.md §6 unless a decomposition is given an explicit reordering
/// (`IsotypicDecomposition`'s `sampleElements`).
///
/// A (neurons × p) row-major matrix has `neuronStride = p, sampleStride = 1`; a (p × neurons)
/// one has `neuronStride = 1, sampleStride = neurons`. Any strides ≥ 1 work (Fortran order,
/// views of a larger tensor).
public struct NeuronMatrix<Scalar: NeuronScalar>: @unchecked Sendable {
    public let base: UnsafePointer<Scalar>
    public let neurons: Int
    public let length: Int
    public let neuronStride: Int
    public let sampleStride: Int

    public init(base: UnsafePointer<Scalar>, neurons: Int, length: Int, neuronStride: Int, sampleStride: Int) {
        precondition(neurons >= 0 && length >= 1 && neuronStride >= 1 && sampleStride >= 1)
        self.base = base; self.neurons = neurons; self.length = length
        self.neuronStride = neuronStride; self.sampleStride = sampleStride
    }
}
