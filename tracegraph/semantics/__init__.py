"""What commands and tool calls do, in one vocabulary: below ingest (parsers record effects) and tree (steps get
activities), so both read a command the same way and nothing else classifies commands."""
