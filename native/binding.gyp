{
  "includes": ["libtorch.gypi"],
  "targets": [
    {
      "target_name": "latentr3_native",
      "sources": [
        "src/handles.cc",
        "src/allocator.cc",
        "src/ops.cc",
        "src/autograd.cc",
        "src/recompute.cc",
        "src/distributed.cc",
        "src/addon.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-frtti", "-Wno-unused-parameter", "-Wno-deprecated-declarations"]
    }
  ]
}
