/** The `weir` command's version (`weir --version`); a test keeps it equal to cli/package.json's. */
export const cliVersion = "0.1.0";
