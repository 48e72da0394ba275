package io.myxi.broker;

import io.myxi.MyxiException;

/** The broker could not do what was asked: not connected, blocked, refused, or no answer in time. */
public class BrokerException extends MyxiException {
  public BrokerException(String message) {
    super(message);
  }

  public BrokerException(String message, Throwable cause) {
    super(message, cause);
  }
}
