/* Loads the library at run time, as a dlopen/LoadLibrary user would, and
   resolves every name of def/inetkit.def. Usage: dlsym_all LIBRARY DEF_FILE */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef unsigned int (*version_fn)(void);

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s LIBRARY DEF_FILE\n", argv[0]);
        return 2;
    }
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    FILE *def = fopen(argv[2], "r");
    if (!def) {
        perror(argv[2]);
        return 1;
    }
    char line[256];
    int in_exports = 0, resolved = 0, missing = 0;
    while (fgets(line, sizeof line, def)) {
        char *comment = strchr(line, ';');
        if (comment) *comment = '\0';
        char name[256];
        if (sscanf(line, "%255s", name) != 1) continue;
        if (strcmp(name, "EXPORTS") == 0) { in_exports = 1; continue; }
        if (!in_exports) continue;
        if (dlsym(library, name)) resolved++;
        else { fprintf(stderr, "FAIL: %s does not resolve\n", name); missing++; }
    }
    fclose(def);
    version_fn version = (version_fn)dlsym(library, "InetGetVersion");
    if (version) printf("InetGetVersion() = %u\n", version());
    printf("%d resolved, %d missing\n", resolved, missing);
    dlclose(library);
    return missing == 0 && resolved > 0 ? 0 : 1;
}
