from elinkcli.cli.app import main

main()
