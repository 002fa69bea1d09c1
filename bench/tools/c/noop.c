// The program exec_loop's children run: does nothing. Linked statically (when the toolchain can) so an exec costs
// no dynamic loading and the loop reaches higher exec rates than with /bin/true.
int main(void) {
  return 0;
}
