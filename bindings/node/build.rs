fn main() {
    // Leaves the napi_* symbols undefined for node to provide when it loads the addon.
    napi_build::setup();
}
