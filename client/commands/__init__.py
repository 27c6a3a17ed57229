"""One module per `mediaday` subcommand, each with `register(subparsers)`."""
