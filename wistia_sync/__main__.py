from wistia_sync.entry import main

main()
