from elinkcli.cli.entry import main

main()
