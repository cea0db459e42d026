from newsroom.app.cli import main

main()
