print("chatone: not built yet")
