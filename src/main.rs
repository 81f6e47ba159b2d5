fn main() -> std::process::ExitCode {
    wavebump::cli::main()
}
