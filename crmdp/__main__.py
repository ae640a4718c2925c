from crmdp.cli import main

main()
