from wistia_sync.cli.entry import main

main()
