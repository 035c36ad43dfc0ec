from wistia_sync.cli.entry import script

script()
