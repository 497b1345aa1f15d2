// A class instance with own data fields only, for tests of what structured clone and the DevTools
// sanitizer do with class instances (cloned or shown as plain objects; the class is not kept).
// Test-only: not part of any package. Fields assigned in the constructor, not as parameter
// properties, so it compiles under erasableSyntaxOnly.
export class Point {
  x: number
  y: number
  constructor(x: number, y: number) {
    this.x = x
    this.y = y
  }
}
