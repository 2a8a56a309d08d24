

shortspan0001