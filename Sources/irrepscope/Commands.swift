import ArgumentParser

/// Every subcommand of `irrepscope`, in the order `--help` lists them.
let commandList: [ParsableCommand.Type] = [
    AnalyzeCommand.self,
    SpectrumCommand.self,
    HistogramCommand.self,
    CharactersCommand.self,
    IrrepsCommand.self,
    DecomposeCommand.self,
    InspectCommand.self,
    ConvertCommand.self,
    ReportCommand.self,
    BatchCommand.self,
    MergeCommand.self,
    BatchWorkerCommand.self,
    HDF5ReadCommand.self,
]
