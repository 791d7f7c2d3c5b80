/* included by the render test */
#define FROM_INCLUDE @GREETING@
