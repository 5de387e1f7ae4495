print("ferrum")
