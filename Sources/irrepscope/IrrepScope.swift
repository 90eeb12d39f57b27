import ArgumentParser
import Checkpoints
import Foundation
import Batch
import Fourier

/// `irrepscope`: which Fourier features and group representations a trained network uses.
@main
struct IrrepScope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irrepscope",
        abstract: "Which Fourier features and group representations a trained network uses.",
        discussion: """
        Machine-readable output (JSON, CSV) goes to stdout; progress and diagnostics to stderr. \
        Conventions are those of docs/theory.md and docs/conventions.md in the repository: DFT power per real \
        frequency bin, DC excluded from normalization unless --include-dc.
        """,
        version: "0.1.0 (\(LibraryVersions.fftw); \(LibraryVersions.openBLAS))",
        subcommands: commandList
    )

    /// Exit statuses: 0 success, 1 a failure on the input (bad file, bad data), 2 bad arguments.
    /// Help and version on stdout (status 0); usage errors on stderr (status 2).
    static func exitForArgumentParser(_ error: Error) -> Never {
        if exitCode(for: error) == .success { print(fullMessage(for: error)); Foundation.exit(0) }
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
    }

    static func main() {
        // Every command runs its own worker threads; OpenBLAS's pool, started when the
        // library loads, would only spin on sched_yield against them.
        useSingleThreadedBLAS()
        // HDF5 files are opened by a child of this binary (a libhdf5 crash is then an error).
        HDF5Isolation.childCommand = [WorkerOptions.currentExecutable, "hdf5-read"]
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exitForArgumentParser(error)
        }
        do {
            var c = command
            try c.run()
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch let e as ValidationError {
            FileHandle.standardError.write(Data("irrepscope: error: \(e.message)\n".utf8))
            Foundation.exit(2)
        } catch let e as CheckpointError {
            FileHandle.standardError.write(Data("irrepscope: error: \(terminalSafe(e.description))\n".utf8))
            Foundation.exit(1)
        } catch {
            // Help and version requests and parser errors surface here through the parsed
            // (built-in) help command; everything else is a failure on the input.
            if [.success, .validationFailure].contains(exitCode(for: error)) { exitForArgumentParser(error) }
            FileHandle.standardError.write(Data("irrepscope: error: \(terminalSafe("\(error)"))\n".utf8))
            Foundation.exit(1)
        }
    }
}

/// Prints a diagnostic line to stderr, control characters other than newlines and tabs
/// escaped (a tensor name from a hostile file cannot send ESC sequences to the terminal).
func diagnostic(_ message: String) {
    FileHandle.standardError.write(Data((terminalSafe(message) + "\n").utf8))
}

/// `DisplayText.terminalSafe`: control characters escaped except line breaks and tabs.
func terminalSafe(_ text: String) -> String { DisplayText.terminalSafe(text) }

/// An error in the user's data or request that is not about argument syntax.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
