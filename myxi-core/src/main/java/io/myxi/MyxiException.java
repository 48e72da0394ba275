package io.myxi;

/** Base class of the unchecked exceptions Myxi throws. */
public class MyxiException extends RuntimeException {
  public MyxiException(String message) {
    super(message);
  }

  public MyxiException(String message, Throwable cause) {
    super(message, cause);
  }
}
