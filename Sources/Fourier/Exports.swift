// Fourier's API is stated in NeuronData's types (NeuronMatrix, PowerTable, PowerSummary,
// PowerHistogram, PowerStatistics, SharedMutablePointer, parallelWorkers,
// useSingleThreadedBLAS), which lived here before the split; re-exporting them keeps
// `import Fourier` enough for every caller written before it (Sources/Fourier/README.md).
@_exported import NeuronData
