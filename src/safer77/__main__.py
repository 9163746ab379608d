from safer77.cli import main

main()
