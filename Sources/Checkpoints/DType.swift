/// Element types of tensors found in checkpoint files.
///
/// Raw values use PyTorch's spelling (`float32`, `bfloat16`, `float8_e4m3fn`, …), which is
/// what `irrepscope inspect` prints whatever the file format called the type.
public enum DType: String, Sendable, CaseIterable, Codable {
    case bool
    case uint8, uint16, uint32, uint64
    case int8, int16, int32, int64
    case float8_e4m3fn, float8_e5m2
    case float16, bfloat16, float32, float64
    case complex64, complex128

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .bool, .uint8, .int8, .float8_e4m3fn, .float8_e5m2: return 1
        case .uint16, .int16, .float16, .bfloat16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .complex64: return 8
        case .complex128: return 16
        }
    }

    /// True for the real floating-point types.
    public var isFloatingPoint: Bool {
        switch self {
        case .float8_e4m3fn, .float8_e5m2, .float16, .bfloat16, .float32, .float64: return true
        default: return false
        }
    }

    /// True for the complex types (values are (re, im) pairs of the component type).
    public var isComplex: Bool { self == .complex64 || self == .complex128 }
}
