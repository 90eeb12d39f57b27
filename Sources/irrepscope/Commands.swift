import ArgumentParser

/// Every subcommand of `irrepscope`, in the order `--help` lists them.
let commandList: [ParsableCommand.Type] = [
    SpectrumCommand.self,
    HistogramCommand.self,
    AnalyzeCommand.self,
    ReportCommand.self,
    BatchCommand.self,
    MergeCommand.self,
    CharactersCommand.self,
    IrrepsCommand.self,
    DecomposeCommand.self,
    InspectCommand.self,
    ConvertCommand.self,
]
