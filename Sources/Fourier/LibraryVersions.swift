import CBLAS
import CFFTW

/// The versions of the numerical libraries this process runs on (for `irrepscope --version`
/// and bug reports): FFTW's version string and OpenBLAS's build configuration.
public enum LibraryVersions {
    public static var fftw: String { String(cString: irrepscope_fftw_version()) }
    public static var openBLAS: String { openblas_get_config().map { String(cString: $0) } ?? "unknown" }
}
