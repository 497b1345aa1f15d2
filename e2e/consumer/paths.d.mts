export declare const CONSUMER_APP: string
