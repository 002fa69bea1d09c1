{
  "targets": [
    {
      "target_name": "bpfkit",
      "sources": ["bpfkit.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
