from wistia_sync.cli import main

main()
