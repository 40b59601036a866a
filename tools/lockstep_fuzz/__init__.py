"""A mutation campaign against `verify`: seed fixtures of every kind, byte-level and
structural mutations, each mutated file verified in a child process whose outcome is
classified (verdict, clean refusal, poor message, crash, hang, over the memory budget)."""
