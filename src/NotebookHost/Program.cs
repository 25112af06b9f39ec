using LibTorchLoader;
using NotebookEngine.Hosting;

// Cells that use TorchSharp get its native libraries loaded the Debian-12-safe way.
TorchNative.LoadWhenTorchSharpLoads();
return HostServer.Run(args);
